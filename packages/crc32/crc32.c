/*
 * crc32: prints the CRC-32 (the checksum of zlib, gzip and PNG: reflected polynomial 0xEDB88320,
 * initial value and final xor 0xFFFFFFFF) of each file named, or of standard input.
 * This file owns the table, the update loop and the command line.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

static uint32_t table[256];

static void
make_table(void)
{
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

static uint32_t
crc32_update(uint32_t crc, const unsigned char *buf, size_t len)
{
  crc = ~crc;
  while (len--)
    crc = table[(crc ^ *buf++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static int
sum_stream(FILE *f, uint32_t *out)
{
  unsigned char buf[65536];
  uint32_t crc = 0;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    crc = crc32_update(crc, buf, n);
  if (ferror(f))
    return -1;
  *out = crc;
  return 0;
}

int
main(int argc, char **argv)
{
  uint32_t crc;
  int status = 0;

  make_table();
  if (argc < 2) {
    if (sum_stream(stdin, &crc) < 0) {
      fprintf(stderr, "crc32: stdin: %s\n", strerror(errno));
      return 1;
    }
    printf("%08x\n", crc);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (f == NULL || sum_stream(f, &crc) < 0) {
      fprintf(stderr, "crc32: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    } else {
      printf("%08x  %s\n", crc, argv[i]);
    }
    if (f != NULL)
      fclose(f);
  }
  return status;
}
