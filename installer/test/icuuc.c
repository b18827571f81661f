/* TEST ONLY: a stand-in for Windows 10's icuuc.dll (1703 and newer ship it, under these unversioned names), which
   Wine 8 lacks and which PySide6's Qt6Core.dll imports for its QStringConverter codecs. Every function says "no
   converter" (U_FILE_ACCESS_ERROR), so Qt keeps to its own UTF-8/UTF-16/Latin-1, which is all the program uses.
   installer/check builds it with mingw-w64 (no C runtime) into its throwaway Wine prefix's system32 and checks that
   it exports every icuuc function the installed Qt6Core.dll imports. It never goes into the installer. */
typedef int int32_t;
typedef signed char int8_t;
typedef unsigned short UChar;
typedef int UErrorCode;
#define U_FILE_ACCESS_ERROR 4
#define EXPORT __declspec(dllexport)

static void no_converter(UErrorCode *status) { if (status && *status <= 0) *status = U_FILE_ACCESS_ERROR; }

EXPORT void *ucnv_open(const char *name, UErrorCode *status) { (void)name; no_converter(status); return 0; }
EXPORT void ucnv_close(void *converter) { (void)converter; }
EXPORT void ucnv_reset(void *converter) { (void)converter; }
EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return 0; }
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *status)
{ (void)name; (void)standard; no_converter(status); return 0; }
EXPORT const char *ucnv_getName(const void *converter, UErrorCode *status) { (void)converter; no_converter(status); return 0; }
EXPORT int8_t ucnv_getMaxCharSize(const void *converter) { (void)converter; return 1; }
EXPORT void ucnv_getToUCallBack(const void *converter, void **action, const void **context)
{ (void)converter; if (action) *action = 0; if (context) *context = 0; }
EXPORT void ucnv_getFromUCallBack(const void *converter, void **action, const void **context)
{ (void)converter; if (action) *action = 0; if (context) *context = 0; }
EXPORT void ucnv_setToUCallBack(void *converter, void *action, const void *context, void **old_action,
                                const void **old_context, UErrorCode *status)
{ (void)converter; (void)action; (void)context; (void)old_action; (void)old_context; no_converter(status); }
EXPORT void ucnv_setFromUCallBack(void *converter, void *action, const void *context, void **old_action,
                                  const void **old_context, UErrorCode *status)
{ (void)converter; (void)action; (void)context; (void)old_action; (void)old_context; no_converter(status); }
EXPORT void ucnv_toUnicode(void *converter, UChar **target, const UChar *target_limit, const char **source,
                           const char *source_limit, int32_t *offsets, int8_t flush, UErrorCode *status)
{ (void)converter; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush;
  no_converter(status); }
EXPORT void ucnv_fromUnicode(void *converter, char **target, const char *target_limit, const UChar **source,
                             const UChar *source_limit, int32_t *offsets, int8_t flush, UErrorCode *status)
{ (void)converter; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush;
  no_converter(status); }
EXPORT int32_t ucnv_toUCountPending(const void *converter, UErrorCode *status) { (void)converter; no_converter(status); return 0; }
EXPORT int32_t ucnv_fromUCountPending(const void *converter, UErrorCode *status) { (void)converter; no_converter(status); return 0; }
EXPORT void ucnv_cbToUWriteUChars(void *args, const UChar *source, int32_t length, int32_t offset, UErrorCode *status)
{ (void)args; (void)source; (void)length; (void)offset; no_converter(status); }
EXPORT void ucnv_cbFromUWriteUChars(void *args, const UChar **source, const UChar *source_limit, int32_t offset,
                                    UErrorCode *status)
{ (void)args; (void)source; (void)source_limit; (void)offset; no_converter(status); }
EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const UChar *units, int32_t length,
                                            int32_t code_point, int32_t reason, UErrorCode *status)
{ (void)context; (void)args; (void)units; (void)length; (void)code_point; (void)reason; no_converter(status); }
EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *units, int32_t length,
                                          int32_t reason, UErrorCode *status)
{ (void)context; (void)args; (void)units; (void)length; (void)reason; no_converter(status); }

/* No C runtime: the entry point only says the DLL loaded. */
int __stdcall DllMainCRTStartup(void *instance, unsigned long reason, void *reserved)
{ (void)instance; (void)reason; (void)reserved; return 1; }
