/* Poison header: MinGW has <sys/time.h>, MSVC does not. Windows code uses the Win32 API instead. */
#error "<sys/time.h> is not available with MSVC: use the Win32 API (Interlocked*, SRWLOCK, CreateThread, Sleep)"
