/* jf_fs.h: the few file-system helpers every stage needs: creating output
 * folders, expanding INPUT arguments (a file, or a directory whose matching
 * files are taken in sorted order), and naming outputs after inputs. No I/O
 * of file contents happens here. */
#ifndef JF_FS_H
#define JF_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "jf_error.h"

/* mkdir -p. @return JF_OK or JF_EIO. */
JfStatus jf_fs_mkdir_p(const char *path, JfError *err);

/* A list of paths, owned by the list (jf_malloc). */
typedef struct {
    char  **paths;
    size_t  count;
    size_t  cap;
} JfPathList;

void     jf_pathlist_init(JfPathList *l);
void     jf_pathlist_free(JfPathList *l);
JfStatus jf_pathlist_add(JfPathList *l, const char *path);

/* Appends path if it is a file; if a directory, appends every regular file
 * below it (recursively, hidden names skipped) for which accept(name) is true
 * (NULL accepts all), in byte-wise sorted order. */
JfStatus jf_fs_expand_input(const char *path, bool (*accept)(const char *name), JfPathList *out,
                            JfError *err);

/* Writes into out a file-name-safe stem for path: its base name without the
 * compression and format extensions (.gz .zst .bz2 .warc .wet .json .jsonl .xml),
 * e.g. "CC-MAIN-...-00000.warc.gz" -> "CC-MAIN-...-00000". */
void jf_fs_stem(const char *path, char *out, size_t cap);

bool jf_fs_is_dir(const char *path);

/* mkdir -p of the folder path lives in (nothing when path has no folder). */
JfStatus jf_fs_mkdir_parent(const char *path, JfError *err);

#endif
