/*
 * tests/fuzz/fuzz_replay.c - run fuzz inputs without libFuzzer.
 *
 * Links with one tests/fuzz/fuzz_*.c target and replays files through its
 * LLVMFuzzerTestOneInput(), so that "make check" re-runs every corpus
 * entry (and every crash once fixed) with plain gcc and sanitizers.
 * Arguments are files or directories (their regular files, sorted by
 * name, not recursive).  Output is TAP, one point per file; a crashing
 * input crashes this program, which the TAP driver reports as a failure.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Largest input replayed; libFuzzer's default -max_len is 4096. */
#define REPLAY_MAX	(1024 * 1024)

static int	replay_file(const char *, int *);
static int	replay_dir(const char *, int *);
static int	replay_select(const struct dirent *);

/*
 * Read the whole file into an exactly sized heap buffer, so that ASan
 * catches a target reading one byte past the input, as libFuzzer would.
 */
static int
replay_file(const char *path, int *n)
{
	FILE	*fp;
	uint8_t	*buf;
	long	 len;
	size_t	 got;

	(*n)++;
	if ((fp = fopen(path, "rb")) == NULL) {
		printf("not ok %d - %s # %s\n", *n, path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    len > REPLAY_MAX || fseek(fp, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s # cannot size\n", *n, path);
		fclose(fp);
		return -1;
	}
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
		printf("not ok %d - %s # out of memory\n", *n, path);
		fclose(fp);
		return -1;
	}
	got = fread(buf, 1, (size_t)len, fp);
	fclose(fp);
	if (got != (size_t)len) {
		printf("not ok %d - %s # short read\n", *n, path);
		free(buf);
		return -1;
	}
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	printf("ok %d - %s\n", *n, path);
	fflush(stdout);
	return 0;
}

static int
replay_select(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
replay_dir(const char *dir, int *n)
{
	struct dirent	**names;
	struct stat	  sb;
	char		  path[4096];
	int		  i, count, rc;

	if ((count = scandir(dir, &names, replay_select, alphasort)) < 0) {
		(*n)++;
		printf("not ok %d - %s # %s\n", *n, dir, strerror(errno));
		return -1;
	}
	rc = 0;
	for (i = 0; i < count; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= (int)sizeof(path)) {
			(*n)++;
			printf("not ok %d - %s/%s # path too long\n", *n, dir,
			    names[i]->d_name);
			rc = -1;
		} else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (replay_file(path, n) != 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct stat	 sb;
	int		 i, n, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", argv[0]);
		return 2;
	}
	n = rc = 0;
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (replay_dir(argv[i], &n) != 0)
				rc = 1;
		} else if (replay_file(argv[i], &n) != 0)
			rc = 1;
	}
	printf("1..%d\n", n);
	return rc;
}
