/* SPDX-License-Identifier: MIT */
/*
 * Mailslots on Windows: CreateMailslotW(\\.\mailslot\xipc.mailslot.<name>)
 * for the reader, CreateFileW() on the same name for writers.
 *
 * Writers must know the reader's largest message to check it themselves
 * (Wine 8 does not enforce it), so the reader publishes it in a small
 * owner-only section beside the mailslot, Local\xipc.mailslot-info.<name>,
 * which also tells writers whether a reader is there. The mailslot itself
 * makes create exclusive: it exists while its reader lives (and, under Wine,
 * while a writer still has it open: a create waits that out for a moment).
 * The section may outlive a reader for a moment while a writer reads it.
 * Reads always use a buffer that holds the largest message (a short read
 * buffer would lose the rest under Wine), kept in the handle: a message
 * larger than the caller's buffer stays there (XIPC_EMSGSIZE) until a
 * receive with room takes it. The read timeout is set on the mailslot
 * (SetMailslotInfo) before each read.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define INFO_SIZE      4096
/* How long a create waits for a name held by a writer of a reader that has ended. */
#define CREATE_WAIT_MS 50
/* Empty messages skipped in a row under Wine before its read error counts as one (see recv). */
#define EMPTY_SKIP_MAX 1024

typedef struct mailslot_info {
  volatile LONG max; /* the reader's largest message; read once and checked */
} mailslot_info_t;

struct xipc_mailslot_s {
  HANDLE handle;
  HANDLE info_map; /* reader only */
  size_t max;
  bool reader;
  char *buf; /* reader: one message, kept when too large for the caller */
  DWORD kept_len;
  bool kept;
};

static void free_slot(xipc_mailslot_t *m) {
  /* The info section first: no writer may find it while the name is free for someone else. */
  if (m->info_map != NULL)
    CloseHandle(m->info_map);
  if (m->handle != NULL && m->handle != INVALID_HANDLE_VALUE)
    CloseHandle(m->handle);
  free(m->buf);
  free(m);
}

int xipc__mailslot_create(xipc_mailslot_t **out, const char *name, size_t max_msg_size) {
  xipc_mailslot_t *m = calloc(1, sizeof *m);
  WCHAR *slot_name, *info_name;
  SECURITY_ATTRIBUTES sa;
  mailslot_info_t *info;
  int rc;
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  m->reader = true;
  m->max = max_msg_size;
  rc = xipc__win32_wide_names(XIPC_KIND_MAILSLOT, name, "mailslot-info", &slot_name, &info_name);
  if (rc < 0) {
    free(m);
    return rc;
  }
  sa.lpSecurityDescriptor = NULL;
  rc = xipc__win32_owner_only_sa(&sa);
  if (rc == 0) {
    /*
     * ERROR_ALREADY_EXISTS: a live reader (XIPC_EEXIST), or a writer that
     * still holds the last reader's mailslot for a moment (Wine keeps it
     * while any handle is open): waited out for CREATE_WAIT_MS.
     */
    uint64_t deadline = xipc__deadline(CREATE_WAIT_MS);
    while ((m->handle = CreateMailslotW(slot_name, (DWORD)max_msg_size, 0, &sa)) ==
               INVALID_HANDLE_VALUE &&
           GetLastError() == ERROR_ALREADY_EXISTS && xipc__remaining_ms(deadline) > 0)
      xipc__sleep_ms(1);
    if (m->handle == INVALID_HANDLE_VALUE)
      rc = xipc__win32_fail();
  }
  if (rc == 0) {
    m->info_map =
        CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, INFO_SIZE, info_name);
    /* Kept open by a writer that is looking, or by one of a reader that just ended: reused if it
       is this user's (its owner is what writers trust). */
    rc = xipc__win32_take_helper_object(&m->info_map, GetLastError());
  }
  if (rc == 0 && (m->buf = malloc(XIPC_LOCAL_MSG_MAX)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc == 0) {
    /* Published last: a writer that reads the size finds the mailslot there. */
    info = MapViewOfFile(m->info_map, FILE_MAP_WRITE, 0, 0, sizeof *info);
    if (info == NULL) {
      rc = xipc__win32_fail();
    } else {
      InterlockedExchange(&info->max, (LONG)max_msg_size);
      UnmapViewOfFile(info);
    }
  }
  xipc__win32_free_sa(&sa);
  free(slot_name);
  free(info_name);
  if (rc < 0) {
    free_slot(m);
    return rc;
  }
  *out = m;
  return 0;
}

int xipc__mailslot_open(xipc_mailslot_t **out, const char *name) {
  xipc_mailslot_t *m = calloc(1, sizeof *m);
  WCHAR *slot_name, *info_name;
  mailslot_info_t *info;
  HANDLE info_map;
  LONG max = 0;
  int rc;
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc__win32_wide_names(XIPC_KIND_MAILSLOT, name, "mailslot-info", &slot_name, &info_name);
  if (rc < 0) {
    free(m);
    return rc;
  }
  info_map = OpenFileMappingW(FILE_MAP_READ | READ_CONTROL, FALSE, info_name);
  rc = info_map != NULL ? xipc__win32_check_owner(info_map) : xipc__win32_fail();
  if (rc == 0) {
    info = MapViewOfFile(info_map, FILE_MAP_READ, 0, 0, sizeof *info);
    if (info == NULL) {
      rc = xipc__win32_fail();
    } else {
      max = info->max; /* written by another process: checked below */
      UnmapViewOfFile(info);
    }
  }
  if (info_map != NULL)
    CloseHandle(info_map);
  if (rc == 0 && (max <= 0 || max > XIPC_LOCAL_MSG_MAX))
    rc = max == 0 ? xipc__fail(XIPC_ENOENT) : xipc__fail(XIPC_EIO);
  if (rc == 0) {
    m->max = (size_t)max;
    m->handle = CreateFileW(slot_name, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (m->handle == INVALID_HANDLE_VALUE)
      rc = xipc__win32_fail();
  }
  free(slot_name);
  free(info_name);
  if (rc < 0) {
    free_slot(m);
    return rc;
  }
  *out = m;
  return 0;
}

int xipc__mailslot_send(xipc_mailslot_t *m, const void *buf, size_t len, int timeout_ms) {
  DWORD done;
  (void)timeout_ms; /* a mailslot write never waits */
  if (m->reader)
    return xipc__fail(XIPC_EBADF);
  if (!WriteFile(m->handle, buf, (DWORD)len, &done, NULL)) {
    DWORD err = GetLastError();
    xipc__set_os_error((int)err);
    /* The reader closed its mailslot. */
    return err == ERROR_HANDLE_EOF || err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA ||
                   err == ERROR_FILE_NOT_FOUND
               ? XIPC_EPIPE
               : xipc__os_fail((int)err);
  }
  return done == (DWORD)len ? 0 : xipc__fail(XIPC_EIO);
}

static int take_kept(xipc_mailslot_t *m, void *buf, size_t cap, size_t *msg_size) {
  *msg_size = m->kept_len;
  if (m->kept_len > cap)
    return xipc__fail(XIPC_EMSGSIZE);
  memcpy(buf, m->buf, m->kept_len);
  m->kept = false;
  return (int)m->kept_len;
}

int xipc__mailslot_recv(xipc_mailslot_t *m, void *buf, size_t cap, int timeout_ms,
                        size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD done;
  int empty_skipped = 0;
  if (!m->reader)
    return xipc__fail(XIPC_EBADF);
  if (m->kept)
    return take_kept(m, buf, cap, msg_size);
  for (;;) {
    int left = xipc__remaining_ms(deadline);
    if (!SetMailslotInfo(m->handle, left < 0 ? MAILSLOT_WAIT_FOREVER : (DWORD)left))
      return xipc__win32_fail();
    if (ReadFile(m->handle, m->buf, XIPC_LOCAL_MSG_MAX, &done, NULL)) {
      if (done == 0)
        continue; /* an empty message is not an xipc one */
      break;
    }
    /*
     * Wine 8 fails the read of an empty message with ERROR_BROKEN_PIPE, having
     * taken it (Windows reads 0 bytes): skipped too, a bounded number of times
     * in a row, as a mailslot has no other use for that code.
     */
    if (GetLastError() == ERROR_BROKEN_PIPE && ++empty_skipped < EMPTY_SKIP_MAX)
      continue;
    /* A read timeout may come a tick early: wait on until the time has really passed. */
    if (GetLastError() != ERROR_SEM_TIMEOUT)
      return xipc__win32_fail();
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
  }
  m->kept_len = done;
  m->kept = true;
  return take_kept(m, buf, cap, msg_size);
}

int xipc__mailslot_info(xipc_mailslot_t *m, size_t *next_size, size_t *count) {
  DWORD next, waiting;
  if (!m->reader)
    return xipc__fail(XIPC_EBADF);
  if (!GetMailslotInfo(m->handle, NULL, &next, &waiting, NULL))
    return xipc__win32_fail();
  *next_size = next == MAILSLOT_NO_MESSAGE ? 0 : next;
  *count = waiting;
  if (m->kept) {
    /* The kept message comes first. */
    *next_size = m->kept_len;
    *count = waiting + 1;
  }
  return 0;
}

size_t xipc__mailslot_max_msg_size(const xipc_mailslot_t *m) {
  return m->max;
}

int xipc__mailslot_close(xipc_mailslot_t *m) {
  free_slot(m);
  return 0;
}
