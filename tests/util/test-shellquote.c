/* lib/util/shellquote: shell_quote(), also read back by /bin/sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"

#include "util/shellquote.h"

/* What sh makes of `printf %s WORD`: the word must come back byte for byte. */
static void check_sh(const char *s) {
        char q[512], cmd[600], got[512];
        CHECK(shell_quote(s, q, sizeof q) > 0);
        snprintf(cmd, sizeof cmd, "printf %%s %s", q);
        FILE *p = popen(cmd, "r");
        CHECK(p != NULL);
        if (!p)
                return;
        size_t n = fread(got, 1, sizeof got - 1, p);
        got[n] = 0;
        CHECK(pclose(p) == 0);
        CHECK_STR(got, s);
}

int main(void) {
        char b[64];

        CHECK(shell_quote("", b, sizeof b) == 2);
        CHECK_STR(b, "''");
        CHECK(shell_quote("a b.pcap", b, sizeof b) == 10);
        CHECK_STR(b, "'a b.pcap'");
        CHECK(shell_quote("it's", b, sizeof b) > 0);
        CHECK_STR(b, "'it'\\''s'");
        CHECK(shell_quote("''", b, sizeof b) > 0);
        CHECK_STR(b, "''\\'''\\'''");
        /* too small: nothing half-quoted */
        CHECK(shell_quote("abcdef", b, 8) == -ENOBUFS);
        CHECK_STR(b, "");
        CHECK(shell_quote("abcdef", b, 9) == 8);
        CHECK(shell_quote("x", b, 0) < 0);

        /* hostile names: the shell gets the bytes back, runs nothing */
        unlink("/tmp/pcapd-shellquote-pwned");
        check_sh("x'; touch /tmp/pcapd-shellquote-pwned; echo '");
        check_sh("$(touch /tmp/pcapd-shellquote-pwned)`id` $HOME \\ \" ! * ? ~ ; & | < > #");
        check_sh("new\nline\ttab");
        check_sh("-r");
        CHECK(access("/tmp/pcapd-shellquote-pwned", F_OK) != 0);
        return tu_exit();
}
