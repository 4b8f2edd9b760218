/* cli_version.c: `jaforge --version`: jaforge's version and those of the
 * libraries it is linked with, as they report themselves at run time. */
#include <jansson.h>
#include <libxml/parser.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uversion.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "cli.h"

int cli_version_main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: jaforge --version\n");
        return CLI_EXIT_OK;
    }
    UVersionInfo icu;
    char icu_s[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(icu);
    u_versionToString(icu, icu_s);
    unsigned xx = XXH_versionNumber();
    printf("jaforge %s\n", JF_VERSION);
    printf("zstd %s\n", ZSTD_versionString());
    printf("zlib %s\n", zlibVersion());
    printf("icu %s\n", icu_s);
    printf("libxml2 %s\n", xmlParserVersion);
    printf("sqlite %s\n", sqlite3_libversion());
    printf("jansson %s\n", jansson_version_str());
    printf("xxhash %u.%u.%u\n", xx / 10000, xx / 100 % 100, xx % 100);
    return CLI_EXIT_OK;
}
