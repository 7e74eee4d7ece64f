/* Poison header: MinGW has <threads.h>, MSVC does not. Windows code uses the Win32 API instead. */
#error "<threads.h> is not available with MSVC: use the Win32 API (Interlocked*, SRWLOCK, CreateThread, Sleep)"
