/* The machine and the run, recorded beside every result (the .meta.csv sidecar). */
#ifndef CB_SYSINFO_H
#define CB_SYSINFO_H

#define SYSINFO_MAX 64

struct sysinfo {
	struct {
		char key[48];
		char value[480];
	} kv[SYSINFO_MAX];
	int n;
};

/* CPU model, cores, kernel, compiler and flags, commit, date, the command line. */
void sysinfo_collect(struct sysinfo *si, int argc, char **argv);
void sysinfo_add(struct sysinfo *si, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *sysinfo_get(const struct sysinfo *si, const char *key);
/* Online CPUs: what parallel speedups are bounded by. */
int sysinfo_cores(void);

#endif
