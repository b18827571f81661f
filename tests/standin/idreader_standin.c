/* A stand-in for the vendors' ID card reader libraries, for tests without hardware.
 *
 * It exports the calls of the three families adultschool's idreader adapter speaks (the generic SAM API of
 * sdtapi.dll, 华视 CVR termb.dll, 神思 SynIDCardAPI) and the photo decoder's GetBmp (WltRS.dll), and answers from a
 * state file named by the environment
 * variable IDREADER_STANDIN_STATE, read on every call, lines "key=value":
 *   reader=present|absent   whether a reader is attached
 *   port=1001               the only port the reader answers on
 *   card=present|absent|misread   a card on the reader; misread: found but reading fails (lift and place again)
 *   photo=bad               the photo does not decode: GetBmp fails (-4), CVR's GetBmpData fails (0) and writes no
 *                           zp.bmp, Syn_ReadMsg returns 1 (the text is read, the photo not) and writes no file
 *   die=SDT_ReadBaseMsg     the process ends in that call, as when a vendor DLL crashes (for the helper's tests)
 *   name=..., sex=1|2, nation=01, birth=YYYYMMDD, address=..., id=..., issuer=..., from=YYYYMMDD, to=YYYYMMDD
 * Text values are UTF-8 in the file; the SAM family returns them as UCS-2 (little endian) in fixed fields, the
 * other two as GBK would be: here as the bytes of the file (the tests write ASCII-safe GBK bytes via a hex form
 * "hex:..." when they need it).
 * Every call is appended to the file named by IDREADER_STANDIN_LOG, if set, so tests can see what was called.
 *
 * The photo, decoded, is a 102×126 24-bit BMP (38862 bytes, as the vendors' decoders write it): GetBmp writes it
 * beside the .wlt; CVR_Read_Content writes it as zp.bmp (and the text as wz.txt) into the current directory, and
 * GetBmpData copies it into the caller's buffer; Syn_ReadMsg writes it into the folder Syn_SetPhotoPath(2, folder)
 * named (else the current directory) as tmp.bmp and puts that path into IDCardData.PhotoFileName. Built with
 * -DSTANDIN_NO_SYN_PHOTO_SETTERS it lacks the Syn_SetPhoto* calls, as a library that writes the photo where it likes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <process.h>
#else
#include <unistd.h>
#endif

#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#define CALL __stdcall
#else
#define EXPORT __attribute__((visibility("default")))
#define CALL
#endif

static char values[40][2][512];
static int count;

static void load(void) {
    const char *path = getenv("IDREADER_STANDIN_STATE");
    FILE *file;
    char line[1100];
    count = 0;
    if (!path || !(file = fopen(path, "rb"))) return;
    while (count < 40 && fgets(line, sizeof line, file)) {
        char *eq = strchr(line, '='), *end;
        if (!eq) continue;
        *eq = 0;
        end = eq + 1 + strcspn(eq + 1, "\r\n");
        *end = 0;
        strncpy(values[count][0], line, 511);
        strncpy(values[count][1], eq + 1, 511);
        count++;
    }
    fclose(file);
}

static const char *get(const char *key) {
    for (int i = 0; i < count; i++)
        if (!strcmp(values[i][0], key)) return values[i][1];
    return "";
}

static void note(const char *call, int port) {
    const char *path = getenv("IDREADER_STANDIN_LOG");
    FILE *file;
    load();
    if (!strcmp(get("die"), call)) _exit(3);
    if (!path || !(file = fopen(path, "ab"))) return;
    fprintf(file, "%s %d\n", call, port);
    fclose(file);
}

static int unhex(const char *text, unsigned char *out, int room) {
    /* "hex:c4e3bac3" → bytes; anything else copied as it is. Returns the length. */
    int n = 0;
    if (!strncmp(text, "hex:", 4)) {
        for (text += 4; text[0] && text[1] && n < room; text += 2) {
            unsigned int byte;
            sscanf(text, "%2x", &byte);
            out[n++] = (unsigned char)byte;
        }
        return n;
    }
    n = (int)strlen(text);
    if (n > room) n = room;
    memcpy(out, text, n);
    return n;
}

static int reader_on(int port) {
    load();
    return !strcmp(get("reader"), "present") && (port == atoi(get("port")) || !*get("port"));
}

#define BMP_WIDTH 102
#define BMP_HEIGHT 126
#define BMP_ROW ((BMP_WIDTH * 3 + 3) / 4 * 4)
#define BMP_SIZE (54 + BMP_ROW * BMP_HEIGHT)

static void make_bmp(unsigned char *out) {
    /* The card photo as a decoder writes it: a 54-byte header, then bottom-up rows of 3-byte pixels padded to 4. */
    memset(out, 0, 54);
    out[0] = 'B'; out[1] = 'M';
    out[2] = BMP_SIZE & 0xFF; out[3] = (BMP_SIZE >> 8) & 0xFF; out[4] = (BMP_SIZE >> 16) & 0xFF;
    out[10] = 54; out[14] = 40;
    out[18] = BMP_WIDTH; out[22] = BMP_HEIGHT;
    out[26] = 1; out[28] = 24;
    for (int y = 0; y < BMP_HEIGHT; y++)
        for (int x = 0; x < BMP_ROW; x++)
            out[54 + y * BMP_ROW + x] = x < BMP_WIDTH * 3 ? (unsigned char)(x * 2 + y) : 0;
}

static int write_bmp(const char *path) {
    static unsigned char bmp[BMP_SIZE];
    FILE *out = fopen(path, "wb");
    if (!out) return 0;
    make_bmp(bmp);
    fwrite(bmp, 1, sizeof bmp, out);
    fclose(out);
    return 1;
}

/* --- the generic SAM API (sdtapi.dll) ------------------------------------------------------------------------ */

static int open_port = -1;

EXPORT int CALL SDT_OpenPort(int port) {
    note("SDT_OpenPort", port);
    if (!reader_on(port)) return 0x01;
    open_port = port;
    return 0x90;
}

EXPORT int CALL SDT_ClosePort(int port) {
    note("SDT_ClosePort", port);
    open_port = -1;
    return 0x90;
}

EXPORT int CALL SDT_StartFindIDCard(int port, unsigned char *manufacturer, int if_open) {
    note("SDT_StartFindIDCard", port);
    load();
    if (manufacturer) memset(manufacturer, 0, 4);
    if (!strcmp(get("card"), "present") || !strcmp(get("card"), "misread")) return 0x9F;
    return 0x80;
}

EXPORT int CALL SDT_SelectIDCard(int port, unsigned char *serial, int if_open) {
    note("SDT_SelectIDCard", port);
    load();
    if (serial) memset(serial, 0, 8);
    return !strcmp(get("card"), "absent") ? 0x81 : 0x90;
}

static void ucs2(unsigned char *field, int chars, const char *utf8) {
    /* UTF-8 (BMP only) into a fixed UCS-2 LE field padded with spaces, as the SAM module sends it. */
    int i = 0;
    const unsigned char *p = (const unsigned char *)utf8;
    while (*p && i < chars) {
        unsigned int c;
        if (*p < 0x80) c = *p++;
        else if ((*p & 0xE0) == 0xC0) { c = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F); p += 2; }
        else { c = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F); p += 3; }
        field[2 * i] = c & 0xFF;
        field[2 * i + 1] = c >> 8;
        i++;
    }
    for (; i < chars; i++) { field[2 * i] = ' '; field[2 * i + 1] = 0; }
}

EXPORT int CALL SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len, unsigned char *photo,
                                unsigned int *photo_len, int if_open) {
    note("SDT_ReadBaseMsg", port);
    load();
    if (strcmp(get("card"), "present")) return 0x41;
    memset(text, 0, 256);
    ucs2(text, 15, get("name"));
    ucs2(text + 30, 1, get("sex"));
    ucs2(text + 32, 2, get("nation"));
    ucs2(text + 36, 8, get("birth"));
    ucs2(text + 52, 35, get("address"));
    ucs2(text + 122, 18, get("id"));
    ucs2(text + 158, 15, get("issuer"));
    ucs2(text + 188, 8, get("from"));
    ucs2(text + 204, 8, get("to"));
    *text_len = 256;
    memset(photo, 0x5A, 1024);  /* WLT: only the vendor's WltRS.dll decodes it */
    *photo_len = 1024;
    return 0x90;
}

/* --- 华视 CVR (termb.dll) ------------------------------------------------------------------------------------ */

static int cvr_read;

EXPORT int CALL CVR_InitComm(int port) {
    note("CVR_InitComm", port);
    return reader_on(port) ? 1 : 0;
}

EXPORT int CALL CVR_CloseComm(void) {
    note("CVR_CloseComm", 0);
    return 1;
}

EXPORT int CALL CVR_Authenticate(void) {
    note("CVR_Authenticate", 0);
    load();
    return (!strcmp(get("card"), "present") || !strcmp(get("card"), "misread")) ? 1 : 0;
}

EXPORT int CALL CVR_Read_Content(int active) {
    note("CVR_Read_Content", active);
    load();
    cvr_read = !strcmp(get("card"), "present");
    if (cvr_read) {
        FILE *text = fopen("wz.txt", "wb");
        if (text) { fputs(get("id"), text); fclose(text); }
        if (strcmp(get("photo"), "bad")) write_bmp("zp.bmp");
    }
    return cvr_read ? 1 : 0;
}

EXPORT int CALL GetBmpData(unsigned char *buffer, int *length) {
    note("GetBmpData", 0);
    load();
    if (!cvr_read || !strcmp(get("photo"), "bad")) return 0;
    make_bmp(buffer);
    *length = BMP_SIZE;
    return 1;
}

static int give(const char *key, unsigned char *buffer, int *length) {
    if (!cvr_read) return 0;
    *length = unhex(get(key), buffer, 100);
    buffer[*length] = 0;
    return 1;
}

EXPORT int CALL GetPeopleName(unsigned char *b, int *n) { return give("gbk_name", b, n); }
EXPORT int CALL GetPeopleSex(unsigned char *b, int *n) { return give("gbk_sex", b, n); }
EXPORT int CALL GetPeopleNation(unsigned char *b, int *n) { return give("gbk_nation", b, n); }
EXPORT int CALL GetPeopleBirthday(unsigned char *b, int *n) { return give("birth", b, n); }
EXPORT int CALL GetPeopleAddress(unsigned char *b, int *n) { return give("gbk_address", b, n); }
EXPORT int CALL GetPeopleIDCode(unsigned char *b, int *n) { return give("id", b, n); }
EXPORT int CALL GetDepartment(unsigned char *b, int *n) { return give("gbk_issuer", b, n); }
EXPORT int CALL GetStartDate(unsigned char *b, int *n) { return give("from", b, n); }
EXPORT int CALL GetEndDate(unsigned char *b, int *n) { return give("to", b, n); }

/* --- 神思 SynIDCardAPI ----------------------------------------------------------------------------------------- */

typedef struct {
    char Name[32];
    char Sex[6];
    char Nation[20];
    char Born[18];
    char Address[72];
    char IDCardNo[38];
    char GrantDept[32];
    char UserLifeBegin[18];
    char UserLifeEnd[18];
    char reserved[38];
    char PhotoFileName[255];
} IDCardData;

static char syn_folder[240];  /* room for "/tmp.bmp" in PhotoFileName[255] */

#ifndef STANDIN_NO_SYN_PHOTO_SETTERS  /* built without them: a SynIDCardAPI that writes tmp.bmp where it likes */
EXPORT int CALL Syn_SetPhotoPath(int option, char *path) {
    note("Syn_SetPhotoPath", option);
    if (option == 2 && path) {
        strncpy(syn_folder, path, sizeof syn_folder - 1);
        syn_folder[sizeof syn_folder - 1] = 0;
    } else {
        syn_folder[0] = 0;
    }
    return 0;
}

EXPORT int CALL Syn_SetPhotoType(int type) {
    note("Syn_SetPhotoType", type);
    return type == 0 ? 0 : -1;  /* the stand-in writes BMP only */
}

EXPORT int CALL Syn_SetPhotoName(int type) {
    note("Syn_SetPhotoName", type);
    return type == 0 ? 0 : -1;  /* "tmp" only */
}
#endif

EXPORT int CALL Syn_OpenPort(int port) {
    note("Syn_OpenPort", port);
    return reader_on(port) ? 0 : -1;
}

EXPORT int CALL Syn_ClosePort(int port) {
    note("Syn_ClosePort", port);
    return 0;
}

EXPORT int CALL Syn_StartFindIDCard(int port, unsigned char *iin, int if_open) {
    note("Syn_StartFindIDCard", port);
    load();
    return (!strcmp(get("card"), "present") || !strcmp(get("card"), "misread")) ? 0 : -1;
}

EXPORT int CALL Syn_SelectIDCard(int port, unsigned char *sn, int if_open) {
    note("Syn_SelectIDCard", port);
    return 0;
}

EXPORT int CALL Syn_ReadMsg(int port, int if_open, IDCardData *data) {
    note("Syn_ReadMsg", port);
    load();
    if (strcmp(get("card"), "present")) return -1;
    memset(data, 0, sizeof *data);
    unhex(get("gbk_name"), (unsigned char *)data->Name, 31);
    unhex(get("gbk_sex"), (unsigned char *)data->Sex, 5);
    unhex(get("gbk_nation"), (unsigned char *)data->Nation, 19);
    unhex(get("birth"), (unsigned char *)data->Born, 17);
    unhex(get("gbk_address"), (unsigned char *)data->Address, 71);
    unhex(get("id"), (unsigned char *)data->IDCardNo, 37);
    unhex(get("gbk_issuer"), (unsigned char *)data->GrantDept, 31);
    unhex(get("from"), (unsigned char *)data->UserLifeBegin, 17);
    unhex(get("to"), (unsigned char *)data->UserLifeEnd, 17);
    if (!strcmp(get("photo"), "bad")) return 1;  /* as the vendor's: the text is there, the photo did not decode */
    if (syn_folder[0]) snprintf(data->PhotoFileName, sizeof data->PhotoFileName, "%s/tmp.bmp", syn_folder);
    else strcpy(data->PhotoFileName, "tmp.bmp");
    if (!write_bmp(data->PhotoFileName)) return 1;
    return 0;
}

/* --- WltRS.dll: GetBmp(wlt_file, interface) writes <name>.bmp beside the .wlt (102×126, 24 bits) -------------------
 * photo=bad makes it fail as a real decoder does on a damaged photo (-4); the file must hold the 1024 bytes the
 * reader gave (0x5A each), else -3. */
EXPORT int CALL GetBmp(char *wlt_file, int intf) {
    FILE *in;
    unsigned char wlt[1024];
    char bmp_file[600];
    size_t got;
    char *dot;
    note("GetBmp", intf);
    load();
    if (!strcmp(get("photo"), "bad")) return -4;
    if (!(in = fopen(wlt_file, "rb"))) return -3;
    got = fread(wlt, 1, sizeof wlt, in);
    fclose(in);
    if (got != sizeof wlt || wlt[0] != 0x5A || wlt[1023] != 0x5A) return -3;
    strncpy(bmp_file, wlt_file, sizeof bmp_file - 5);
    bmp_file[sizeof bmp_file - 5] = 0;
    dot = strrchr(bmp_file, '.');
    if (!dot) return -2;
    strcpy(dot, ".bmp");
    return write_bmp(bmp_file) ? 1 : -3;
}
