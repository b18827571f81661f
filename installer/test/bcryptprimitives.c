/* TEST ONLY: a stand-in for Windows 10's bcryptprimitives.dll, which Wine 8 lacks and which Python's
   `cryptography` (through Rust's standard library) imports for ProcessPrng. installer/check builds it with
   Debian's gcc-mingw-w64-x86-64 into its throwaway Wine prefix's system32. It never goes into the installer:
   real Windows 10/11 has the real DLL. RtlGenRandom (advapi32!SystemFunction036) fills the buffer instead. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) { return SystemFunction036(data, (ULONG)length) ? TRUE : FALSE; }
