/* SPDX-License-Identifier: MIT */
/*
 * IP addresses as text and names: xipc_addr_parse / xipc_addr_format read
 * and write the same canonical text on every system (RFC 5952 for IPv6),
 * and xipc_addr_resolve finds loopback names without the network.
 */
#include "task.h"

/* Text that parses and formats back to itself, and what it holds. */
typedef struct addr_case {
  const char *text;
  int family;
  uint16_t port;
  uint8_t ip[16];
  uint32_t scope_id;
} addr_case_t;

static const addr_case_t canonical[] = {
    {"127.0.0.1:80", XIPC_ADDR_IPV4, 80, {127, 0, 0, 1}, 0},
    {"0.0.0.0:0", XIPC_ADDR_IPV4, 0, {0}, 0},
    {"255.255.255.255:65535", XIPC_ADDR_IPV4, 65535, {255, 255, 255, 255}, 0},
    {"10.213.0.1:8080", XIPC_ADDR_IPV4, 8080, {10, 213, 0, 1}, 0},
    {"[::1]:443", XIPC_ADDR_IPV6, 443, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0},
    {"[::]:0", XIPC_ADDR_IPV6, 0, {0}, 0},
    {"[2001:db8::1]:80",
     XIPC_ADDR_IPV6,
     80,
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
     0},
    {"[2001:db8::]:1", XIPC_ADDR_IPV6, 1, {0x20, 0x01, 0x0d, 0xb8}, 0},
    /* RFC 5952 4.2.2: one zero group alone is not shortened to "::". */
    {"[2001:db8:0:1:1:1:1:1]:80",
     XIPC_ADDR_IPV6,
     80,
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
     0},
    {"[0:2:3:4:5:6:7:8]:1", XIPC_ADDR_IPV6, 1, {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}, 0},
    /* RFC 5952 4.2.3: the longest run of zeros; the first of two equal runs. */
    {"[2001:0:0:1::1]:1",
     XIPC_ADDR_IPV6,
     1,
     {0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1},
     0},
    {"[2001:db8::1:0:0:1]:1",
     XIPC_ADDR_IPV6,
     1,
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},
     0},
    {"[1:2:3:4:5:6:7:8]:65535",
     XIPC_ADDR_IPV6,
     65535,
     {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8},
     0},
    {"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:9",
     XIPC_ADDR_IPV6,
     9,
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff},
     0},
    /* RFC 5952 5: IPv4-mapped addresses end in dotted decimal. */
    {"[::ffff:1.2.3.4]:53",
     XIPC_ADDR_IPV6,
     53,
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4},
     0},
    {"[fe80::1%2]:8080",
     XIPC_ADDR_IPV6,
     8080,
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
     2},
    {"[fe80::a:b%4294967295]:7",
     XIPC_ADDR_IPV6,
     7,
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x0b},
     4294967295u},
};

/* Text that parses but is not canonical, and the canonical text it formats to. */
static const char *const rewritten[][2] = {
    {"[2001:DB8::1]:80", "[2001:db8::1]:80"},
    {"[2001:0db8:0000:0000:0000:0000:0000:0001]:80", "[2001:db8::1]:80"},
    {"[0:0:0:0:0:0:0:1]:1", "[::1]:1"},
    {"[0::0]:2", "[::]:2"},
    {"[2001:db8:0:0:1:0:0:1]:3", "[2001:db8::1:0:0:1]:3"},
    {"[::ffff:102:304]:5", "[::ffff:1.2.3.4]:5"},
    {"[::FFFF:1.2.3.4]:5", "[::ffff:1.2.3.4]:5"},
    {"[1:2:3:4:5:6:1.2.3.4]:6", "[1:2:3:4:5:6:102:304]:6"},
    {"[fe80:0:0:0:0:0:0:1%0]:7", "[fe80::1]:7"},
};

/* Every one of these is refused with XIPC_EINVAL. */
static const char *const rejected[] = {
    "",
    "127.0.0.1",     /* no port */
    "127.0.0.1:",    /* empty port */
    "1.2.3.4:65536", /* port out of range */
    "1.2.3.4:99999999999999999999",
    "1.2.3.4:-1",
    "1.2.3.4:+1",
    "1.2.3.4:80x",
    "1.2.3.4:80 ",
    " 1.2.3.4:80",
    "1.2.3.4 :80",
    "01.2.3.4:80", /* leading zero: octal to inet_aton, so never accepted */
    "1.2.3.04:80",
    "1.2.3:80", /* three parts */
    "1.2.3.4.5:80",
    "256.1.1.1:80",
    "1.2.3.4.:80",
    "1..3.4:80",
    "0x7f.0.0.1:80",
    "localhost:80", /* names are resolved, not parsed */
    "[::1]",        /* no port */
    "[::1]:",
    "[::1]80",
    "[::1]:65536",
    "::1:80", /* IPv6 without brackets */
    "::1",
    "[::1:80",
    "::1]:80",
    "[]:80",
    "[1::2::3]:80", /* two "::" */
    "[::1::]:80",
    "[1:2:3:4:5:6:7:8:9]:80", /* nine groups */
    "[1:2:3:4:5:6:7]:80",     /* seven groups and no "::" */
    "[1:2:3:4:5:6:7:8::]:80", /* "::" must stand for at least one group */
    "[::1:2:3:4:5:6:7:8]:80",
    "[12345::1]:80", /* five hex digits */
    "[::g]:80",
    "[:1::]:80",    /* a single leading colon */
    "[1::2:]:80",   /* a single trailing colon */
    "[1.2.3.4]:80", /* IPv4 in brackets */
    "[::ffff:1.2.3]:80",
    "[::1.2.3.4:5]:80", /* dotted IPv4 only as the last part */
    "[1:2:3:4:5:6:7:1.2.3.4]:80",
    "[::1%]:80",         /* empty zone */
    "[fe80::1%eth0]:80", /* zones are numbers */
    "[fe80::1%-1]:80",
    "[fe80::1%4294967296]:80", /* 2^32: must not wrap to 0 where a long has 32 bits */
    "[fe80::1%42949672960]:80",
    "[fe80::1%2]",
    "[::1] :80",
    "garbage",
    "1.2.3.4:80\n",
};

static void format_ok(const xipc_addr_t *addr, const char *expected) {
  char buf[XIPC_ADDR_STRLEN];
  memset(buf, 'z', sizeof buf);
  ASSERT_EQ(xipc_addr_format(addr, buf, sizeof buf), strlen(expected));
  ASSERT_STR_EQ(buf, expected);
}

/* Each canonical text parses into the expected fields and formats back to itself. */
TEST_IMPL(addr, parse_format_roundtrip) {
  size_t i;
  for (i = 0; i < ARRAY_SIZE(canonical); i++) {
    const addr_case_t *c = &canonical[i];
    xipc_addr_t addr;
    memset(&addr, 0x5a, sizeof addr);
    if (xipc_addr_parse(&addr, c->text) != 0)
      test_fail(__FILE__, __LINE__, "\"%s\" was refused", c->text);
    if (addr.family != c->family || addr.port != c->port || addr.scope_id != c->scope_id ||
        memcmp(addr.ip, c->ip, c->family == XIPC_ADDR_IPV4 ? 4 : 16) != 0)
      test_fail(__FILE__, __LINE__, "\"%s\" parsed into the wrong address", c->text);
    format_ok(&addr, c->text);
  }
}

/* Other spellings of an address format to the one canonical text (lower case, longest "::"). */
TEST_IMPL(addr, parse_canonicalizes) {
  size_t i;
  for (i = 0; i < ARRAY_SIZE(rewritten); i++) {
    xipc_addr_t addr, again;
    if (xipc_addr_parse(&addr, rewritten[i][0]) != 0)
      test_fail(__FILE__, __LINE__, "\"%s\" was refused", rewritten[i][0]);
    format_ok(&addr, rewritten[i][1]);
    /* The canonical text is the same address. */
    ASSERT_OK(xipc_addr_parse(&again, rewritten[i][1]));
    ASSERT_EQ(again.family, addr.family);
    ASSERT_EQ(again.port, addr.port);
    ASSERT_EQ(again.scope_id, addr.scope_id);
    ASSERT_TRUE(memcmp(again.ip, addr.ip, sizeof addr.ip) == 0);
  }
}

TEST_IMPL(addr, parse_rejects) {
  xipc_addr_t addr;
  size_t i;
  for (i = 0; i < ARRAY_SIZE(rejected); i++) {
    int rc;
    test_prime_os_error();
    rc = xipc_addr_parse(&addr, rejected[i]);
    if (rc != XIPC_EINVAL)
      test_fail(__FILE__, __LINE__, "\"%s\": %s, expected XIPC_EINVAL", rejected[i],
                xipc_err_name(rc));
    ASSERT_EQ(xipc_last_os_error(), 0);
  }
  ASSERT_ARG_ERR(xipc_addr_parse(&addr, NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_addr_parse(NULL, "127.0.0.1:80"), XIPC_EINVAL);
}

/* A buffer one byte short of the text and its NUL: XIPC_ENOBUFS; the exact size works. */
TEST_IMPL(addr, format_buffer_too_small) {
  static const char *const texts[] = {"127.0.0.1:80", "[2001:db8::1]:80", "[fe80::1%2]:8080"};
  char buf[XIPC_ADDR_STRLEN];
  xipc_addr_t addr;
  size_t i;
  for (i = 0; i < ARRAY_SIZE(texts); i++) {
    size_t len = strlen(texts[i]);
    ASSERT_OK(xipc_addr_parse(&addr, texts[i]));
    ASSERT_ARG_ERR(xipc_addr_format(&addr, buf, len), XIPC_ENOBUFS);
    ASSERT_ARG_ERR(xipc_addr_format(&addr, buf, 1), XIPC_ENOBUFS);
    ASSERT_ARG_ERR(xipc_addr_format(&addr, buf, 0), XIPC_ENOBUFS);
    ASSERT_EQ(xipc_addr_format(&addr, buf, len + 1), len);
    ASSERT_STR_EQ(buf, texts[i]);
  }
  /* XIPC_ADDR_STRLEN holds the longest text there is. */
  ASSERT_OK(xipc_addr_parse(&addr, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535"));
  ASSERT_OK(xipc_addr_format(&addr, buf, sizeof buf));
  ASSERT_LT(strlen(buf), XIPC_ADDR_STRLEN);
  /* Not an address at all. */
  memset(&addr, 0, sizeof addr);
  ASSERT_ARG_ERR(xipc_addr_format(&addr, buf, sizeof buf), XIPC_EINVAL);
  addr.family = 5;
  ASSERT_ARG_ERR(xipc_addr_format(&addr, buf, sizeof buf), XIPC_EINVAL);
  addr.family = XIPC_ADDR_IPV4;
  ASSERT_ARG_ERR(xipc_addr_format(NULL, buf, sizeof buf), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_addr_format(&addr, NULL, sizeof buf), XIPC_EINVAL);
}

static bool is_loopback(const xipc_addr_t *addr) {
  static const uint8_t ip6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (addr->family == XIPC_ADDR_IPV4)
    return addr->ip[0] == 127;
  return addr->family == XIPC_ADDR_IPV6 && memcmp(addr->ip, ip6_loopback, 16) == 0;
}

/* Numeric hosts come back as they are; "localhost" is a loopback address (no network asked). */
TEST_IMPL(addr, resolve_loopback_and_numeric) {
  char text[XIPC_ADDR_STRLEN];
  xipc_addr_t addr;
  ASSERT_OK(xipc_addr_resolve(&addr, "localhost", 8080));
  ASSERT_OK(xipc_addr_format(&addr, text, sizeof text));
  if (!is_loopback(&addr))
    test_fail(__FILE__, __LINE__, "localhost resolved to %s", text);
  ASSERT_EQ(addr.port, 8080);

  ASSERT_OK(xipc_addr_resolve(&addr, "127.0.0.1", 1));
  ASSERT_OK(xipc_addr_format(&addr, text, sizeof text));
  ASSERT_STR_EQ(text, "127.0.0.1:1");
  ASSERT_OK(xipc_addr_resolve(&addr, "10.213.7.9", 65535));
  ASSERT_OK(xipc_addr_format(&addr, text, sizeof text));
  ASSERT_STR_EQ(text, "10.213.7.9:65535");
  ASSERT_OK(xipc_addr_resolve(&addr, "::1", 0));
  ASSERT_OK(xipc_addr_format(&addr, text, sizeof text));
  ASSERT_STR_EQ(text, "[::1]:0");
  ASSERT_OK(xipc_addr_resolve(&addr, "2001:DB8:0:0::7", 53));
  ASSERT_OK(xipc_addr_format(&addr, text, sizeof text));
  ASSERT_STR_EQ(text, "[2001:db8::7]:53");
  ASSERT_EQ(addr.scope_id, 0);

  ASSERT_ARG_ERR(xipc_addr_resolve(NULL, "localhost", 1), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_addr_resolve(&addr, NULL, 1), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_addr_resolve(&addr, "", 1), XIPC_EINVAL);
}

/*
 * A name that cannot exist: the .invalid top-level domain is reserved never
 * to resolve (RFC 6761). XIPC_ENOENT; a machine whose resolver cannot answer
 * offline may say XIPC_EAGAIN ("try again") instead, which is printed.
 */
TEST_IMPL(addr, resolve_unknown_name) {
  static const char *const names[] = {"nonexistent.invalid", "xipc-test.nonexistent.invalid"};
  xipc_addr_t addr;
  size_t i;
  /*
   * An offline machine's resolver may wait for a name server that never
   * answers: one try of one second each (glibc reads RES_OPTIONS when it
   * first resolves), not the default 5 s x 2 per server and search domain.
   */
  test_os_setenv("RES_OPTIONS", "timeout:1 attempts:1");
  test_os_setenv("LOCALDOMAIN", "");
  for (i = 0; i < ARRAY_SIZE(names); i++) {
    int rc;
    memset(&addr, 0x5a, sizeof addr);
    rc = xipc_addr_resolve(&addr, names[i], 80);
    if (rc == XIPC_EAGAIN) {
      printf("note: the resolver could not answer for %s (XIPC_EAGAIN, OS error %d): offline\n",
             names[i], xipc_last_os_error());
      continue;
    }
    if (rc != XIPC_ENOENT)
      test_fail(__FILE__, __LINE__, "%s: %s (OS error %d), expected XIPC_ENOENT", names[i],
                xipc_err_name(rc), xipc_last_os_error());
    printf("%s: XIPC_ENOENT\n", names[i]);
  }
}
