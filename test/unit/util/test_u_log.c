/* Tests for util/log.c and util/loop.c helpers. */
#include <stdio.h>
#include <unistd.h>

#include "test/unit/test.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/err.h"

TEST(test_u_log_levels_parse)
{
	CHECK_EQ_INT(u_log_level_parse("debug"), U_LOG_DEBUG);
	CHECK_EQ_INT(u_log_level_parse("WARN"), U_LOG_WARN);
	CHECK_EQ_INT(u_log_level_parse("warning"), U_LOG_WARN);
	CHECK_EQ_INT(u_log_level_parse("verbose"), -1);
}

TEST(test_u_log_json_file_is_one_object_per_line)
{
	char path[] = "/tmp/ponton-logtest-XXXXXX";
	char line[512];
	struct u_log_config c = { .min_level = U_LOG_DEBUG,
	    .stdout_enabled = 0, .file_format = U_LOG_JSON,
	    .file_level = U_LOG_INFO };
	FILE *f;
	int fd = mkstemp(path), n = 0;

	REQUIRE(fd >= 0);
	close(fd);
	c.file_path = path;
	REQUIRE(u_log_setup(&c) == 0);
	log_debug("not written");
	logp_info("portal[x]", "quote \" and\nnewline");
	log_warnx("second");
	u_log_close();
	f = fopen(path, "r");
	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		CHECK(line[0] == '{');
		CHECK(strstr(line, "not written") == NULL);
		if (n == 1) {
			CHECK(strstr(line, "\"level\":\"info\"") != NULL);
			CHECK(strstr(line, "\"component\":\"portal[x]\"") != NULL);
			CHECK(strstr(line, "quote \\\" and\\nnewline") != NULL);
		}
	}
	fclose(f);
	unlink(path);
	CHECK_EQ_INT(n, 2);
}

TEST(test_u_log_redacts_middle_of_numbers)
{
	char out[64];

	u_log_redact("33612345678", out, sizeof(out));
	CHECK(strncmp(out, "3361", 4) == 0);
	CHECK(strstr(out, "2345") == NULL);
	CHECK(strcmp(out + strlen(out) - 2, "78") == 0);
}

TEST(test_u_backoff_grows_with_jitter_and_cap)
{
	uint64_t d;
	int i;

	for (i = 0; i < 50; i++) {
		d = u_backoff_ms(0, 1000, 60000);
		CHECK(d >= 800 && d <= 1200);
		d = u_backoff_ms(3, 1000, 60000);
		CHECK(d >= 6400 && d <= 9600);
		d = u_backoff_ms(30, 1000, 60000);
		CHECK(d >= 48000 && d <= 72000);
	}
}

static int deferred_ran, timer_ran;

static void
on_deferred(void *arg)
{
	deferred_ran++;
}

static void
on_timer(void *arg)
{
	struct u_loop *l = arg;

	timer_ran++;
	u_loop_defer(l, on_deferred, NULL);
	u_loop_stop(l);
}

TEST(test_u_loop_runs_timers_and_deferred_calls)
{
	struct u_loop *l = u_loop_new();
	struct u_timer *t = u_timer_new(l, on_timer, l);

	u_timer_start(t, 5, 0);
	u_loop_run(l);
	CHECK_EQ_INT(timer_ran, 1);
	u_timer_free(t);
	u_loop_free(l);
	CHECK_EQ_INT(deferred_ran, 1);
}

TEST(test_u_strerror_covers_util_codes)
{
	CHECK_EQ_STR(u_strerror(U_ERR_TRUNCATED), "input truncated");
	CHECK_EQ_STR(u_strerror(0), "success");
}

TEST_MAIN()
