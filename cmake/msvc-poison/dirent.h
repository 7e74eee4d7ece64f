/* Poison header: MinGW has <dirent.h>, MSVC does not. Windows code uses the Win32 API instead. */
#error "<dirent.h> is not available with MSVC: use the Win32 API (Interlocked*, SRWLOCK, CreateThread, Sleep)"
