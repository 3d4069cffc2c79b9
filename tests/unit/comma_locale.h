/* comma_locale: puts LC_NUMERIC in a locale whose decimal point is a
 * comma (de_DE.UTF-8), generating it with localedef into a temporary
 * directory (no network) when it is not installed. Report writers must
 * keep writing dots; tests call this before rendering. */
#ifndef SMTPSUITE_COMMA_LOCALE_H
#define SMTPSUITE_COMMA_LOCALE_H

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nonzero when printf("%.1f") now writes a comma: the locale is active. */
static int comma_locale_active(void)
{
    char s[16];
    snprintf(s, sizeof s, "%.1f", 1.5);
    return strcmp(s, "1,5") == 0;
}

/* 1 if a comma locale is in force afterwards, else 0 (with a note on
 * stderr: the caller then tests the formatting functions directly). */
static int comma_locale_use(void)
{
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") && comma_locale_active())
        return 1;
    char dir[] = "/tmp/smtpsuite-locale-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    int rc = system(cmd); /* warnings give exit 1; setlocale decides */
    (void)rc;
    setenv("LOCPATH", dir, 1);
    int ok = setlocale(LC_NUMERIC, "de_DE.UTF-8") && comma_locale_active();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    rc = system(cmd);
    if (!ok)
        fprintf(stderr, "note: no de_DE.UTF-8 locale and localedef could "
                        "not make one; the formatting is tested directly\n");
    return ok;
}

#endif
