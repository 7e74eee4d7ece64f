/* SPDX-License-Identifier: MIT */
/*
 * Owner-only security descriptors. Without one, Windows applies the
 * creator's default DACL, which for named pipes grants read access to
 * Everyone and the anonymous account; xipc objects are private unless the
 * caller asks otherwise.
 */
#include "internal.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>

/* The current user (TokenUser of the process token), free()d by the caller. */
static int current_user(TOKEN_USER **out) {
  HANDLE token;
  DWORD size = 0;
  int rc = 0;
  *out = NULL;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return xipc__win32_fail();
  GetTokenInformation(token, TokenUser, NULL, 0, &size);
  *out = size > 0 ? malloc(size) : NULL;
  if (*out == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  else if (!GetTokenInformation(token, TokenUser, *out, size, &size))
    rc = xipc__win32_fail();
  CloseHandle(token);
  if (rc < 0) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

/* The current user's SID as a string ("S-1-5-21-..."), LocalFree()d by the caller. */
static int user_sid_string(WCHAR **out) {
  TOKEN_USER *user;
  int rc = current_user(&user);
  if (rc == 0 && !ConvertSidToStringSidW(user->User.Sid, out))
    rc = xipc__win32_fail();
  free(user);
  return rc;
}

int xipc__win32_check_owner(HANDLE object) {
  PSECURITY_DESCRIPTOR sd = NULL;
  PSID owner = NULL;
  TOKEN_USER *user;
  DWORD err;
  int rc = current_user(&user);
  if (rc < 0)
    return rc;
  err = GetSecurityInfo(object, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL,
                        NULL, &sd);
  if (err != ERROR_SUCCESS)
    rc = xipc__os_fail((int)err);
  else if (owner == NULL || !EqualSid(owner, user->User.Sid))
    rc = xipc__fail(XIPC_EACCES); /* another user's object under our name */
  if (sd != NULL)
    LocalFree(sd);
  free(user);
  return rc;
}

int xipc__win32_take_helper_object(HANDLE *h, DWORD err) {
  int rc;
  if (*h == NULL)
    return xipc__os_fail((int)err);
  if (err != ERROR_ALREADY_EXISTS || (rc = xipc__win32_check_owner(*h)) == 0)
    return 0;
  CloseHandle(*h);
  *h = NULL;
  return rc;
}

int xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa) {
  WCHAR *sid, sddl[256];
  PSECURITY_DESCRIPTOR sd = NULL;
  int rc = user_sid_string(&sid);
  if (rc < 0)
    return rc;
  /* O: = owner; D:P = protected DACL (nothing inherited); GA = generic all; SY = LocalSystem. */
  _snwprintf(sddl, 255, L"O:%lsD:P(A;;GA;;;SY)(A;;GA;;;%ls)", sid, sid);
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
