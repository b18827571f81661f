/* TEST ONLY: a stand-in for mscms.dll (Windows' colour management). Wine 8's own aborts in WcsCreateIccProfile, which
   PySide6's qwindows.dll calls for each screen's colour profile ("Program Error"). The four functions qwindows.dll
   imports all say "no profile", and Qt falls back to sRGB, as it does on a Windows PC without one. installer/check
   builds it with mingw-w64 (no C runtime) into its throwaway Wine prefix's system32, makes Wine load it instead of its
   own (WINEDLLOVERRIDES mscms=n) and checks that it exports every mscms function the installed qwindows.dll imports.
   It never goes into the installer. */
typedef void *HPROFILE;
typedef int BOOL;
typedef unsigned long DWORD;
typedef unsigned char BYTE;
#define EXPORT __declspec(dllexport)

EXPORT HPROFILE __stdcall OpenColorProfileW(void *profile, DWORD access, DWORD share, DWORD creation)
{ (void)profile; (void)access; (void)share; (void)creation; return 0; }
EXPORT HPROFILE __stdcall WcsCreateIccProfile(HPROFILE profile, DWORD options) { (void)profile; (void)options; return 0; }
EXPORT BOOL __stdcall GetColorProfileFromHandle(HPROFILE profile, BYTE *data, DWORD *size)
{ (void)profile; (void)data; if (size) *size = 0; return 0; }
EXPORT BOOL __stdcall CloseColorProfile(HPROFILE profile) { return profile != 0; }

int __stdcall DllMainCRTStartup(void *instance, unsigned long reason, void *reserved)
{ (void)instance; (void)reason; (void)reserved; return 1; }
