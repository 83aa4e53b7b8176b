/*
 * test.h: the unit-test harness.  Header only.
 *
 *   TEST(test_u_buf_rejects_overflow) { ... CHECK(x == 1); ... }
 *   int main(void) { return test_main(); }   -- or use TEST_MAIN()
 *
 * Each TEST registers itself; test_main() runs them all in order and prints
 * one line per test, "PASS: name" or "FAIL: name", which test/run.sh counts.
 * CHECK records a failure with file:line and goes on; REQUIRE stops the test.
 */
#ifndef PONTON_TEST_H
#define PONTON_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char	*name;
	void		(*fn)(int *failed);
};

#define TEST_MAX 512
static struct test_case test_cases[TEST_MAX];
static int test_ncases;

#define TEST(name)							\
	static void name(int *test_failed_);				\
	__attribute__((constructor)) static void reg_##name(void)	\
	{								\
		if (test_ncases < TEST_MAX)				\
			test_cases[test_ncases++] =			\
			    (struct test_case){ #name, name };		\
	}								\
	static void name(int *test_failed_)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		*test_failed_ = 1;					\
	}								\
} while (0)

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: REQUIRE failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		*test_failed_ = 1;					\
		return;							\
	}								\
} while (0)

#define CHECK_EQ_INT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_) {							\
		fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n",\
		    __FILE__, __LINE__, #a, #b, a_, b_);		\
		*test_failed_ = 1;					\
	}								\
} while (0)

#define CHECK_EQ_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {		\
		fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n",\
		    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",	\
		    b_ ? b_ : "(null)");				\
		*test_failed_ = 1;					\
	}								\
} while (0)

#define CHECK_EQ_MEM(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0) {				\
		fprintf(stderr, "  %s:%d: memory %s != %s\n",		\
		    __FILE__, __LINE__, #a, #b);			\
		*test_failed_ = 1;					\
	}								\
} while (0)

static inline int
test_main(void)
{
	int i, failed, nfail = 0;
	const char *only = getenv("TEST_ONLY");

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < test_ncases; i++) {
		if (only != NULL && strstr(test_cases[i].name, only) == NULL)
			continue;
		failed = 0;
		test_cases[i].fn(&failed);
		printf("%s: %s\n", failed ? "FAIL" : "PASS", test_cases[i].name);
		nfail += failed;
	}
	return nfail ? 1 : 0;
}

#define TEST_MAIN() int main(void) { return test_main(); }

#endif
