/* Compiled first pass of transforms.boilerplate.clean_lines: the loop over an article's lines.
 *
 * For each line: skip it when empty, normalize its whitespace, strip inline markers (a callback: only lines
 * holding "[" need it), count its words, and ask the line rules for a verdict (a callback, only for lines short
 * enough for some rule). The rules stay Python regexes: only the per-line bookkeeping moved here, which was most
 * of the cleaning time (several Python calls and tuples per line, for the long paragraphs no rule can match).
 * The Python loop it replaces is kept as the reference (``_rule_lines_python``) and tested to agree.
 *
 * Beside it, string helpers that each replace a scan of a whole article in Python (every one has a Python
 * fallback with the same results, tested to agree): the body's space count, its UTF-8 (kept in the str for
 * pyarrow), whether a decoded text is in NFC by the characters it is made of, and a file's control bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* is_normalized for a line stored a byte a character (ASCII and Latin-1, most lines): tests without branches, so
 * that the compiler vectorizes them, where the general loop below took 3.5 ns a character. Of U+007F to U+00FF,
 * str.isprintable refuses U+007F-U+00A0 and U+00AD; the test of the line loop holds each kind of them. */
static int is_normalized_latin1(const Py_UCS1 *characters, Py_ssize_t length, Py_ssize_t *spaces) {
    if (length > 0 && (characters[0] == ' ' || characters[length - 1] == ' ')) return 0;
    Py_ssize_t count = 0;
    int refused = 0;
    for (Py_ssize_t index = 0; index < length; index++) {
        Py_UCS1 character = characters[index];
        count += character == ' ';
        refused |= (character < 0x20) | ((character >= 0x7f) & (character <= 0xa0)) | (character == 0xad);
    }
    for (Py_ssize_t index = 0; index + 1 < length; index++) {
        refused |= (characters[index] == ' ') & (characters[index + 1] == ' ');
    }
    if (refused) return 0;
    *spaces = count;
    return 1;
}

/* Whether ``line`` is already what normalize_line returns: printable (the only whitespace str.isprintable
 * accepts is " "), no doubled space, no space at either end. Counts its spaces meanwhile. */
static int is_normalized(PyObject *line, Py_ssize_t *spaces) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(line);
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    if (kind == PyUnicode_1BYTE_KIND) return is_normalized_latin1((const Py_UCS1 *)data, length, spaces);
    Py_ssize_t count = 0;
    Py_UCS4 previous = ' '; /* a leading space counts as doubled */
    for (Py_ssize_t index = 0; index < length; index++) {
        Py_UCS4 character = PyUnicode_READ(kind, data, index);
        if (character == ' ') {
            if (previous == ' ') return 0;
            count++;
        } else if (character < 0x7f ? character < 0x20 : !Py_UNICODE_ISPRINTABLE(character)) {
            return 0;
        }
        previous = character;
    }
    if (previous == ' ' && length > 0) return 0; /* trailing space */
    *spaces = count;
    return 1;
}

/* One loop per storage width, so that the compiler vectorizes each: str.count(" ") takes about 1 ns a character
 * (3 to 5 us for an article's body), these loops a tenth of that. */
#define COUNT_SPACES(type)                                                  \
    do {                                                                    \
        const type *characters = (const type *)data;                        \
        for (Py_ssize_t index = 0; index < length; index++) {               \
            count += characters[index] == ' ';                              \
        }                                                                   \
    } while (0)

static Py_ssize_t count_spaces(PyObject *line) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t count = 0;
    switch (PyUnicode_KIND(line)) {
    case PyUnicode_1BYTE_KIND:
        COUNT_SPACES(Py_UCS1);
        break;
    case PyUnicode_2BYTE_KIND:
        COUNT_SPACES(Py_UCS2);
        break;
    default:
        COUNT_SPACES(Py_UCS4);
        break;
    }
    return count;
}

/* " ".join(line.split()): a new reference, or NULL with an exception set. */
static PyObject *normalize(PyObject *line, PyObject *space) {
    PyObject *words = PyUnicode_Split(line, NULL, -1);
    if (words == NULL) return NULL;
    PyObject *joined = PyUnicode_Join(space, words);
    Py_DECREF(words);
    return joined;
}

PyDoc_STRVAR(scan_lines_doc,
             "scan_lines(lines, first_line_no, remove_spans, first_rule, longest_rule_words)\n"
             "--\n\n"
             "The first pass of clean_lines over ``lines`` (a list of str): returns (entries, span_removals),\n"
             "entries a list of (line_no, normalized line, rule or None) for every line left non-empty, and\n"
             "span_removals the removals ``remove_spans(line_no, line)`` made on lines holding '['.\n"
             "``first_rule(line, words, False)`` is asked only for lines of at most ``longest_rule_words`` words.");

static PyObject *scan_lines(PyObject *module, PyObject *args) {
    PyObject *lines, *remove_spans, *first_rule;
    Py_ssize_t first_line_no, longest_rule_words;
    if (!PyArg_ParseTuple(args, "O!nOOn:scan_lines", &PyList_Type, &lines, &first_line_no, &remove_spans,
                          &first_rule, &longest_rule_words)) {
        return NULL;
    }
    PyObject *entries = PyList_New(0);
    PyObject *span_removals = PyList_New(0);
    PyObject *space = PyUnicode_FromOrdinal(' ');
    if (entries == NULL || span_removals == NULL || space == NULL) goto fail;
    /* A tuple, so that callbacks changing the caller's list cannot move lines under this loop. */
    PyObject *snapshot = PyList_AsTuple(lines);
    if (snapshot == NULL) goto fail;
    Py_ssize_t count = PyTuple_GET_SIZE(snapshot);
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *raw = PyTuple_GET_ITEM(snapshot, index);
        if (!PyUnicode_Check(raw)) {
            PyErr_Format(PyExc_TypeError, "lines[%zd] is %.100s, not str", index, Py_TYPE(raw)->tp_name);
            goto fail_snapshot;
        }
        if (PyUnicode_GET_LENGTH(raw) == 0) continue;
        Py_ssize_t line_no = first_line_no + index;
        Py_ssize_t spaces = 0;
        PyObject *line;
        if (is_normalized(raw, &spaces)) {
            line = Py_NewRef(raw);
        } else {
            line = normalize(raw, space);
            if (line == NULL) goto fail_snapshot;
            spaces = -1;
        }
        if (PyUnicode_GET_LENGTH(line) > 0 && PyUnicode_FindChar(line, '[', 0, PyUnicode_GET_LENGTH(line), 1) >= 0) {
            PyObject *spanned = PyObject_CallFunction(remove_spans, "nO", line_no, line);
            Py_DECREF(line);
            if (spanned == NULL) goto fail_snapshot;
            if (!PyTuple_Check(spanned) || PyTuple_GET_SIZE(spanned) != 2 ||
                !PyUnicode_Check(PyTuple_GET_ITEM(spanned, 0))) {
                Py_DECREF(spanned);
                PyErr_SetString(PyExc_TypeError, "remove_spans must return (str, list)");
                goto fail_snapshot;
            }
            line = Py_NewRef(PyTuple_GET_ITEM(spanned, 0));
            PyObject *extended = PySequence_InPlaceConcat(span_removals, PyTuple_GET_ITEM(spanned, 1));
            Py_DECREF(spanned);
            if (extended == NULL) {
                Py_DECREF(line);
                goto fail_snapshot;
            }
            Py_DECREF(extended);
            spaces = -1;
        }
        if (PyUnicode_GET_LENGTH(line) == 0) {
            Py_DECREF(line);
            continue;
        }
        if (spaces < 0) spaces = count_spaces(line);
        Py_ssize_t words = spaces + 1;
        PyObject *rule;
        if (words > longest_rule_words) {
            rule = Py_NewRef(Py_None);
        } else {
            rule = PyObject_CallFunction(first_rule, "OnO", line, words, Py_False);
            if (rule == NULL) {
                Py_DECREF(line);
                goto fail_snapshot;
            }
        }
        PyObject *entry = Py_BuildValue("(nNN)", line_no, line, rule);
        if (entry == NULL) goto fail_snapshot;
        int appended = PyList_Append(entries, entry);
        Py_DECREF(entry);
        if (appended < 0) goto fail_snapshot;
    }
    Py_DECREF(snapshot);
    Py_DECREF(space);
    return Py_BuildValue("(NN)", entries, span_removals);

fail_snapshot:
    Py_DECREF(snapshot);
fail:
    Py_XDECREF(entries);
    Py_XDECREF(span_removals);
    Py_XDECREF(space);
    return NULL;
}

/* 1 when ``text`` is a str; else 0 with a TypeError naming ``function``. */
static int is_str_argument(PyObject *text, const char *function) {
    if (PyUnicode_Check(text)) return 1;
    PyErr_Format(PyExc_TypeError, "%s() needs a str, not %.100s", function, Py_TYPE(text)->tp_name);
    return 0;
}

PyDoc_STRVAR(count_spaces_doc,
             "count_spaces(text)\n"
             "--\n\n"
             "``text.count(' ')``, faster: one vectorized loop over the string's storage.");

static PyObject *count_spaces_of(PyObject *module, PyObject *text) {
    if (!is_str_argument(text, "count_spaces")) return NULL;
    return PyLong_FromSsize_t(count_spaces(text));
}

/* CPython's own UTF-8 encoder takes a character at a time: 15-18 us for a 5 KB body stored two bytes a character
 * (one curly quote is enough), 3.5 ns a character. Here runs of ASCII go eight or sixteen characters at a time, and
 * the result is kept in the str exactly where PyUnicode_AsUTF8AndSize keeps it (the compact object's ``utf8``,
 * from PyObject_Malloc, freed with the str), so pyarrow still finds it there. Only where that layout is known
 * (CPython 3.11 to 3.13, with the GIL); elsewhere, and for strings of four bytes a character, CPython encodes. */
#if !defined(Py_LIMITED_API) && !defined(PYPY_VERSION) && !defined(Py_GIL_DISABLED) && \
    PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
#define CAN_KEEP_UTF8 1
#endif

#ifdef CAN_KEEP_UTF8
/* One BMP character that is not ASCII; returns 0 at a surrogate (which strict UTF-8 refuses). */
static inline int put_utf8(Py_UCS4 character, unsigned char **out) {
    unsigned char *p = *out;
    if (character < 0x800) {
        *p++ = (unsigned char)(0xc0 | (character >> 6));
        *p++ = (unsigned char)(0x80 | (character & 0x3f));
    } else if (Py_UNICODE_IS_SURROGATE(character)) {
        return 0;
    } else {
        *p++ = (unsigned char)(0xe0 | (character >> 12));
        *p++ = (unsigned char)(0x80 | ((character >> 6) & 0x3f));
        *p++ = (unsigned char)(0x80 | (character & 0x3f));
    }
    *out = p;
    return 1;
}

/* Copies the run of ASCII characters at ``index`` to ``*out``, a block (16 characters of one byte, 8 of two) at a
 * time; returns the index of the first block that is not all ASCII, or of the last partial block. */
static Py_ssize_t copy_ascii_blocks(int kind, const void *data, Py_ssize_t index, Py_ssize_t length,
                                    unsigned char **out) {
#ifdef __SSE2__
    unsigned char *p = *out;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *characters = data;
        for (; index + 16 <= length; index += 16, p += 16) {
            __m128i block = _mm_loadu_si128((const __m128i *)(characters + index));
            if (_mm_movemask_epi8(block) != 0) break;
            _mm_storeu_si128((__m128i *)p, block);
        }
    } else {
        const Py_UCS2 *characters = data;
        const __m128i not_ascii = _mm_set1_epi16((short)0xff80);
        for (; index + 8 <= length; index += 8, p += 8) {
            __m128i block = _mm_loadu_si128((const __m128i *)(characters + index));
            __m128i high = _mm_and_si128(block, not_ascii);
            if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xffff) break;
            _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(block, block));
        }
    }
    *out = p;
#endif
    return index;
}

/* ``length`` characters of one or two bytes each as UTF-8 into ``out`` (room for 3 bytes a character); returns
 * the bytes written, or -1 at a surrogate. A block holding a character beyond ASCII is encoded one by one. */
static Py_ssize_t encode_utf8(int kind, const void *data, Py_ssize_t length, unsigned char *out) {
    unsigned char *p = out;
    Py_ssize_t index = 0, block = kind == PyUnicode_1BYTE_KIND ? 16 : 8;
    while (index < length) {
        index = copy_ascii_blocks(kind, data, index, length, &p);
        Py_ssize_t stop = index + block < length ? index + block : length;
        for (; index < stop; index++) {
            Py_UCS4 character = PyUnicode_READ(kind, data, index);
            if (character < 0x80) {
                *p++ = (unsigned char)character;
            } else if (!put_utf8(character, &p)) {
                return -1;
            }
        }
    }
    return p - out;
}

/* Encodes ``text`` and keeps the result in it; returns 0 when this path does not apply (the caller lets CPython
 * encode, which also raises the right error for a surrogate), -1 when memory ran out. */
static int keep_utf8(PyObject *text) {
    PyCompactUnicodeObject *compact = (PyCompactUnicodeObject *)text;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return -1;
#endif
    int kind = PyUnicode_KIND(text);
    if (!PyUnicode_IS_COMPACT(text) || PyUnicode_IS_ASCII(text) || compact->utf8 != NULL ||
        (kind != PyUnicode_1BYTE_KIND && kind != PyUnicode_2BYTE_KIND)) {
        return 0;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (length > (PY_SSIZE_T_MAX - 1) / 3) return 0;
    unsigned char *buffer = PyObject_Malloc((size_t)length * 3 + 1);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t size = encode_utf8(kind, PyUnicode_DATA(text), length, buffer);
    if (size < 0) {
        PyObject_Free(buffer);
        return 0;
    }
    buffer[size] = '\0';
    unsigned char *fitted = PyObject_Realloc(buffer, (size_t)size + 1);
    compact->utf8 = (char *)(fitted != NULL ? fitted : buffer);
    compact->utf8_length = size;
    return 1;
}
#endif

PyDoc_STRVAR(utf8_doc,
             "utf8(text)\n"
             "--\n\n"
             "``text.encode('utf-8')``, keeping the encoding in ``text`` as well: CPython caches it in the str, and\n"
             "pyarrow then takes it from there instead of encoding the text again when it builds a column.");

static PyObject *utf8_of(PyObject *module, PyObject *text) {
    if (!is_str_argument(text, "utf8")) return NULL;
#ifdef CAN_KEEP_UTF8
    if (keep_utf8(text) < 0) return NULL;
#endif
    Py_ssize_t size;
    const char *encoded = PyUnicode_AsUTF8AndSize(text, &size); /* strict: lone surrogates raise, as encode() */
    if (encoded == NULL) return NULL;
    return PyBytes_FromStringAndSize(encoded, size);
}

/* Characters that are in NFC alone and next to one another (canonical combining class 0, their own NFC, no
 * pair of them composes): everything below U+0300 (Latin-1 and the Latin Extended letters), Cyrillic but for its
 * combining marks, and the punctuation, currency and trademark signs of the web. tests/transforms/test_decode.py
 * checks every character and every pair of them against unicodedata. */
static int nfc_by_itself(Py_UCS4 character) {
    return character < 0x300 || (character >= 0x400 && character <= 0x482) ||
           (character >= 0x48a && character <= 0x4ff) || (character >= 0x2010 && character <= 0x2027) ||
           (character >= 0x2030 && character <= 0x205e) || (character >= 0x20a0 && character <= 0x20c0) ||
           character == 0x2122;
}

PyDoc_STRVAR(nfc_by_table_doc,
             "is_nfc_by_table(text)\n"
             "--\n\n"
             "True when every character of ``text`` is one that is in NFC alone and next to any other such\n"
             "character: ``text`` is then its own NFC. False says nothing: unicodedata.normalize decides.");

static PyObject *is_nfc_by_table(PyObject *module, PyObject *text) {
    if (!is_str_argument(text, "is_nfc_by_table")) return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        Py_RETURN_TRUE; /* every character below U+0100 */
    case PyUnicode_2BYTE_KIND: {
        /* Most characters are below U+0300: a block's largest one (a loop the compiler vectorizes) says whether
         * any of its characters needs the range test at all. */
        const Py_UCS2 *characters = (const Py_UCS2 *)data;
        for (Py_ssize_t start = 0; start < length; start += 32) {
            Py_ssize_t stop = start + 32 < length ? start + 32 : length;
            Py_UCS2 largest = 0;
            for (Py_ssize_t index = start; index < stop; index++) {
                largest = characters[index] > largest ? characters[index] : largest;
            }
            if (largest < 0x300) continue;
            for (Py_ssize_t index = start; index < stop; index++) {
                if (!nfc_by_itself(characters[index])) Py_RETURN_FALSE;
            }
        }
        Py_RETURN_TRUE;
    }
    default:
        Py_RETURN_FALSE;
    }
}

PyDoc_STRVAR(count_control_bytes_doc,
             "count_control_bytes(data)\n"
             "--\n\n"
             "How many bytes of ``data`` are C0 controls other than tab, line feed, form feed and carriage return,\n"
             "or DEL: transforms.decode's _CONTROL_BYTES, counted in one vectorized loop without a copy.");

static PyObject *count_control_bytes(PyObject *module, PyObject *object) {
    Py_buffer view;
    if (PyObject_GetBuffer(object, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *bytes = (const unsigned char *)view.buf;
    Py_ssize_t count = 0, index = 0;
#ifdef __SSE2__
    /* Sixteen bytes a step: a lane counts when the byte is at most 0x1f (unsigned) and none of the four allowed
     * controls, or DEL. Lane counters are bytes, summed into count every 255 steps, before they could wrap. */
    const __m128i low_end = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), line_feed = _mm_set1_epi8('\n'),
                  form_feed = _mm_set1_epi8('\f'), carriage_return = _mm_set1_epi8('\r'), delete = _mm_set1_epi8(0x7f),
                  zero = _mm_setzero_si128();
    while (index + 16 <= view.len) {
        __m128i lanes = zero;
        for (int step = 0; step < 255 && index + 16 <= view.len; step++, index += 16) {
            __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
            __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(chunk, low_end), chunk);
            __m128i allowed = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, tab), _mm_cmpeq_epi8(chunk, line_feed)),
                                           _mm_or_si128(_mm_cmpeq_epi8(chunk, form_feed),
                                                        _mm_cmpeq_epi8(chunk, carriage_return)));
            __m128i counted = _mm_or_si128(_mm_andnot_si128(allowed, control), _mm_cmpeq_epi8(chunk, delete));
            lanes = _mm_sub_epi8(lanes, counted); /* a true lane is -1 */
        }
        __m128i sums = _mm_sad_epu8(lanes, zero);
        count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#endif
    for (; index < view.len; index++) {
        unsigned char byte = bytes[index];
        count += (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\f' && byte != '\r') || byte == 0x7f;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(count);
}

static PyMethodDef methods[] = {
    {"scan_lines", scan_lines, METH_VARARGS, scan_lines_doc},
    {"count_spaces", count_spaces_of, METH_O, count_spaces_doc},
    {"utf8", utf8_of, METH_O, utf8_doc},
    {"is_nfc_by_table", is_nfc_by_table, METH_O, nfc_by_table_doc},
    {"count_control_bytes", count_control_bytes, METH_O, count_control_bytes_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "transforms._textscan",
    "Compiled line loop for transforms.boilerplate and string helpers (see the source's header).", -1, methods,
};

PyMODINIT_FUNC PyInit__textscan(void) { return PyModule_Create(&module_definition); }
