/* SPDX-License-Identifier: MIT */
/*
 * Owner-only security descriptors. Without one, Windows applies the
 * creator's default DACL, which for named pipes grants read access to
 * Everyone and the anonymous account; xipc objects are private unless the
 * caller asks otherwise.
 */
#include "internal.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>

/* The current user's SID as a string ("S-1-5-21-..."), LocalFree()d by the caller. */
static int user_sid_string(WCHAR **out) {
  HANDLE token;
  DWORD size = 0;
  TOKEN_USER *user;
  int rc = 0;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return xipc__win32_fail();
  GetTokenInformation(token, TokenUser, NULL, 0, &size);
  user = size > 0 ? malloc(size) : NULL;
  if (user == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  else if (!GetTokenInformation(token, TokenUser, user, size, &size) ||
           !ConvertSidToStringSidW(user->User.Sid, out))
    rc = xipc__win32_fail();
  free(user);
  CloseHandle(token);
  return rc;
}

int xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa) {
  WCHAR *sid, sddl[256];
  PSECURITY_DESCRIPTOR sd = NULL;
  int rc = user_sid_string(&sid);
  if (rc < 0)
    return rc;
  /* D:P = protected DACL (nothing inherited); GA = generic all; SY = LocalSystem. */
  _snwprintf(sddl, 255, L"D:P(A;;GA;;;SY)(A;;GA;;;%ls)", sid);
  sddl[255] = L'\0';
  LocalFree(sid);
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
    return xipc__win32_fail();
  sa->nLength = sizeof *sa;
  sa->lpSecurityDescriptor = sd;
  sa->bInheritHandle = FALSE;
  return 0;
}

void xipc__win32_free_sa(SECURITY_ATTRIBUTES *sa) {
  if (sa->lpSecurityDescriptor != NULL)
    LocalFree(sa->lpSecurityDescriptor);
  sa->lpSecurityDescriptor = NULL;
}
