#ifndef POINTCONNECT_CLINUXSHIM_H
#define POINTCONNECT_CLINUXSHIM_H

#include <stdint.h>
#include <sys/types.h>

/// Flush a file's data (and the metadata needed to read it back) to stable storage.
/// Returns 0 on success, -1 with errno set on failure.
int pc_fdatasync(int fd);

#endif
