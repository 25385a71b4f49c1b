/* Compiled scoring for transforms.language: py3langid's model over a batch of texts, in one call.
 *
 * For each text (UTF-8 bytes) the byte automaton is walked, the features it emits are counted, and the naive
 * Bayes score of every class is summed over the distinct features in the order they first occur, as py3langid
 * does (log1p(count) times the feature's log probability, summed in float32). What py3langid's Python loop and the
 * NumPy batch path take some 100 us per text for costs a few microseconds here. The prior, the length scaling and
 * the softmax stay in Python (transforms/language.py), shared with the NumPy path.
 *
 * Pure: no state between calls, the GIL released while scanning.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

typedef struct {
    const unsigned char *data;
    Py_ssize_t length;
} sample_t;

static int get_buffer(PyObject *object, Py_buffer *view, Py_ssize_t itemsize, const char *name) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s must hold %zd-byte items, not %zd-byte ones", name, itemsize,
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}


/* The model's log probabilities are float16, as py3langid ships them: half the memory traffic of float32, and
 * the same values (py3langid widens them to float32 for its sums too). Widening is exact either way. */
static float half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu;
    uint32_t mantissa = half & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1fu) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        exponent = 113u;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static void widen_row_portable(float *row, const uint16_t *half, Py_ssize_t classes) {
    for (Py_ssize_t klass = 0; klass < classes; klass++) {
        row[klass] = half_to_float(half[klass]);
    }
}

static void add_scaled(float *scores, const float *row, float weight, Py_ssize_t classes) {
    for (Py_ssize_t klass = 0; klass < classes; klass++) {
        scores[klass] += weight * row[klass];
    }
}

#ifdef HAVE_X86
/* Eight values at a time with F16C where the CPU has it (checked at run time); exact, like the portable loop. */
__attribute__((target("avx,f16c"))) static void widen_row_f16c(float *row, const uint16_t *half,
                                                                 Py_ssize_t classes) {
    Py_ssize_t klass = 0;
    for (; klass + 8 <= classes; klass += 8) {
        _mm256_storeu_ps(row + klass, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(half + klass))));
    }
    for (; klass < classes; klass++) {
        row[klass] = half_to_float(half[klass]);
    }
}
#endif

typedef void (*widen_row_t)(float *, const uint16_t *, Py_ssize_t);

static widen_row_t choose_widen_row(void) {
#ifdef HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c")) {
        return widen_row_f16c;
    }
#endif
    return widen_row_portable;
}

static widen_row_t widen_row = NULL;

/* Texts walked side by side: each step of one text's walk is a load that depends on the previous one, from a table
 * of tens of MB, so a text alone waits on memory at nearly every byte; several texts in turn overlap those waits. */
#define WALKED_TOGETHER 8

/* Walks texts [first, first + count) and writes the features each emits, in order, from ``found + offset[text]``;
 * ``found_count[text]`` says how many. Returns 0, or -1 when the model sends the automaton outside its tables. */
static int walk_texts(const sample_t *samples, Py_ssize_t first, Py_ssize_t count, const Py_ssize_t *offset,
                      const int32_t *next_move, Py_ssize_t moves, const int64_t *row_base, Py_ssize_t states,
                      const int64_t *feature_of_state, Py_ssize_t features, int32_t *found,
                      int32_t *found_count) {
    int64_t state[WALKED_TOGETHER] = {0};
    Py_ssize_t position[WALKED_TOGETHER] = {0};
    int32_t emitted[WALKED_TOGETHER] = {0};
    Py_ssize_t remaining = count, longest = 0;
    for (Py_ssize_t lane = 0; lane < count; lane++) {
        if (samples[first + lane].length > longest) longest = samples[first + lane].length;
    }
    for (Py_ssize_t step = 0; step < longest && remaining; step++) {
        for (Py_ssize_t lane = 0; lane < count; lane++) {
            const sample_t *sample = &samples[first + lane];
            if (step >= sample->length) continue;
            int64_t move = row_base[state[lane]] + sample->data[step];
            if (move < 0 || move >= moves) return -1;
            int64_t next = next_move[move];
            if (next < 0 || next >= states) return -1;
            state[lane] = next;
            int64_t feature = feature_of_state[next];
            if (feature >= 0) {
                if (feature >= features) return -1;
                found[offset[first + lane] + emitted[lane]++] = (int32_t)feature;
            }
            if (step + 1 == sample->length) remaining--;
        }
    }
    for (Py_ssize_t lane = 0; lane < count; lane++) {
        found_count[first + lane] = emitted[lane];
    }
    (void)position;
    return 0;
}

typedef struct {
    int32_t text;
    float weight;
} entry_t;

/* A call's buffers (some 25 bytes per sample byte: 13 MB for 500 texts) are kept for the thread's next call, and
 * freed when the thread ends. Freshly allocated, the kernel zeroes every page at its first touch: page faults were
 * a tenth of the scoring's time. A call needing more than SCRATCH_KEPT_BYTES allocates and frees its own. */
#define SCRATCH_KEPT_BYTES ((size_t)64 << 20)
#define SCRATCH_ALIGN ((size_t)64)

typedef struct {
    char *block;
    size_t bytes;
} kept_t;

#ifdef _WIN32
static kept_t *kept_scratch(void) { return NULL; }  /* no per-thread cache: every call allocates */
#else
#include <pthread.h>
static pthread_key_t kept_key;
static int kept_key_made = 0;

static void free_kept(void *kept) {
    free(((kept_t *)kept)->block);
    free(kept);
}

/* The calling thread's kept buffers (NULL when there is no cache: memory ran out, or no key). */
static kept_t *kept_scratch(void) {
    if (!kept_key_made) return NULL;
    kept_t *kept = pthread_getspecific(kept_key);
    if (kept == NULL && (kept = calloc(1, sizeof *kept)) != NULL && pthread_setspecific(kept_key, kept) != 0) {
        free(kept);
        kept = NULL;
    }
    return kept;
}
#endif

static size_t aligned_size(size_t size) { return (size + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN; }

/* One block for every buffer, ``parts[i]`` pointing at a cache-line-aligned buffer of ``sizes[i]`` bytes. */
static char *scratch(const size_t *sizes, size_t buffers, char **parts) {
    size_t total = 0;
    for (size_t index = 0; index < buffers; index++) total += aligned_size(sizes[index]);
    kept_t *kept = total <= SCRATCH_KEPT_BYTES ? kept_scratch() : NULL;
    char *block;
    if (kept != NULL && total <= kept->bytes) {
        block = kept->block;
    } else if (kept != NULL) {
        free(kept->block);
        kept->block = block = aligned_alloc(SCRATCH_ALIGN, aligned_size(total));
        kept->bytes = block ? total : 0;
    } else {
        block = aligned_alloc(SCRATCH_ALIGN, aligned_size(total));
    }
    if (block == NULL) return NULL;
    size_t at = 0;
    for (size_t index = 0; index < buffers; index++) {
        parts[index] = block + at;
        at += aligned_size(sizes[index]);
    }
    return block;
}

/* Frees ``block`` unless it is the thread's kept one. */
static void release_scratch(char *block) {
    kept_t *kept = kept_scratch();
    if (kept == NULL || block != kept->block) free(block);
}

/* log1pf of the small counts almost every feature has, computed once by log1pf itself: the same floats. */
#define TABULATED_COUNTS 256
static float count_weights[TABULATED_COUNTS];

static void tabulate_count_weights(void) {
    for (int count = 0; count < TABULATED_COUNTS; count++) {
        count_weights[count] = log1pf((float)count);
    }
}

static inline float count_weight(uint32_t count) {
    return count < TABULATED_COUNTS ? count_weights[count] : log1pf((float)count);
}


/* All texts at once, feature by feature: a row of the table (tens of MB in all) is read once for every text that
 * has the feature, not once per text, and each text's sum runs over its features in ascending order, as the
 * sparse product of the NumPy path does. */
static int score_texts(const sample_t *samples, Py_ssize_t texts, const int32_t *next_move, Py_ssize_t moves,
                       const int64_t *row_base, Py_ssize_t states, const int64_t *feature_of_state,
                       const uint16_t *log_prob, Py_ssize_t features, Py_ssize_t classes, float *scores,
                       int32_t *emitted) {
    int failed = -2;
    Py_ssize_t longest = 1, capacity = 0;
    for (Py_ssize_t text = 0; text < texts; text++) {
        if (samples[text].length > longest) longest = samples[text].length;
        capacity += samples[text].length;
    }
    size_t sizes[] = {
        (size_t)features * sizeof(uint32_t),             /* counts */
        (size_t)longest * sizeof(int32_t),               /* touched */
        ((size_t)features + 1) * sizeof(int64_t),        /* bucket_start */
        (size_t)(texts ? texts : 1) * sizeof(Py_ssize_t), /* offset */
        (size_t)(capacity ? capacity : 1) * sizeof(int32_t), /* found */
        (size_t)(capacity ? capacity : 1) * sizeof(int32_t), /* entry_feature */
        (size_t)(capacity ? capacity : 1) * sizeof(entry_t), /* unsorted */
        (size_t)(capacity ? capacity : 1) * sizeof(entry_t), /* sorted */
        (size_t)classes * sizeof(float),                 /* row */
    };
    enum { BUFFERS = sizeof sizes / sizeof sizes[0] };
    char *parts[BUFFERS];
    char *arena = scratch(sizes, BUFFERS, parts);
    if (arena == NULL) goto done;
    uint32_t *counts = (uint32_t *)parts[0];
    int32_t *touched = (int32_t *)parts[1];
    int64_t *bucket_start = (int64_t *)parts[2];
    Py_ssize_t *offset = (Py_ssize_t *)parts[3];
    int32_t *found = (int32_t *)parts[4];
    int32_t *entry_feature = (int32_t *)parts[5];
    entry_t *unsorted = (entry_t *)parts[6];
    entry_t *sorted = (entry_t *)parts[7];
    float *row = (float *)parts[8];
    memset(counts, 0, sizes[0]);
    memset(bucket_start, 0, sizes[2]);
    Py_ssize_t next_offset = 0;
    for (Py_ssize_t text = 0; text < texts; text++) {
        offset[text] = next_offset;
        next_offset += samples[text].length;
    }
    for (Py_ssize_t first = 0; first < texts; first += WALKED_TOGETHER) {
        Py_ssize_t count = texts - first < WALKED_TOGETHER ? texts - first : WALKED_TOGETHER;
        if (walk_texts(samples, first, count, offset, next_move, moves, row_base, states, feature_of_state,
                       features, found, emitted) < 0) {
            failed = -1;
            goto done;
        }
    }
    Py_ssize_t entries = 0;
    for (Py_ssize_t text = 0; text < texts; text++) {
        const int32_t *emitted_features = found + offset[text];
        Py_ssize_t distinct = 0;
        for (Py_ssize_t index = 0; index < emitted[text]; index++) {
            if (counts[emitted_features[index]]++ == 0) {
                touched[distinct++] = emitted_features[index];
            }
        }
        for (Py_ssize_t index = 0; index < distinct; index++) {
            int32_t feature = touched[index];
            entry_feature[entries] = feature;
            unsorted[entries].text = (int32_t)text;
            unsorted[entries].weight = count_weight(counts[feature]);
            bucket_start[feature + 1]++;
            counts[feature] = 0;
            entries++;
        }
    }
    for (Py_ssize_t feature = 0; feature < features; feature++) {
        bucket_start[feature + 1] += bucket_start[feature];
    }
    /* A stable counting sort by feature: within a feature the texts stay in order. */
    for (Py_ssize_t index = 0; index < entries; index++) {
        sorted[bucket_start[entry_feature[index]]++] = unsorted[index];
    }
    memset(scores, 0, (size_t)(texts * classes) * sizeof(float));
    Py_ssize_t begin = 0;
    for (Py_ssize_t feature = 0; feature < features; feature++) {
        Py_ssize_t end = bucket_start[feature];  /* after the sort: where this feature's entries end */
        if (end == begin) continue;
        widen_row(row, log_prob + feature * classes, classes);
        for (Py_ssize_t index = begin; index < end; index++) {
            add_scaled(scores + sorted[index].text * classes, row, sorted[index].weight, classes);
        }
        begin = end;
    }
    failed = 0;
done:
    release_scratch(arena);
    return failed;
}

PyDoc_STRVAR(feature_scores_doc,
             "feature_scores(samples, next_move, row_base, feature_of_state, log_prob_feature, classes)\n"
             "--\n\n"
             "Raw naive Bayes scores of each text in ``samples`` (a list of bytes), without the prior.\n\n"
             "The model arrays are C-contiguous buffers: next_move int32, row_base int64, feature_of_state int64,\n"
             "log_prob_feature float16 of shape (features, classes). Returns (scores, emitted): float32 bytes of\n"
             "shape (texts, classes) and int32 bytes giving how many features each text emitted.");

static PyObject *feature_scores(PyObject *module, PyObject *args) {
    PyObject *samples_object, *next_move_object, *row_base_object, *feature_object, *log_prob_object;
    Py_ssize_t classes;
    if (!PyArg_ParseTuple(args, "O!OOOOn:feature_scores", &PyList_Type, &samples_object, &next_move_object,
                          &row_base_object, &feature_object, &log_prob_object, &classes)) {
        return NULL;
    }
    if (classes <= 0) {
        PyErr_SetString(PyExc_ValueError, "classes must be positive");
        return NULL;
    }
    Py_buffer next_move = {0}, row_base = {0}, feature_of_state = {0}, log_prob = {0};
    PyObject *result = NULL, *scores_bytes = NULL, *emitted_bytes = NULL, *samples = NULL;
    sample_t *views = NULL;

    if (get_buffer(next_move_object, &next_move, 4, "next_move") < 0) goto done;
    if (get_buffer(row_base_object, &row_base, 8, "row_base") < 0) goto done;
    if (get_buffer(feature_object, &feature_of_state, 8, "feature_of_state") < 0) goto done;
    if (get_buffer(log_prob_object, &log_prob, 2, "log_prob_feature") < 0) goto done;
    Py_ssize_t moves = next_move.len / 4, states = row_base.len / 8;
    Py_ssize_t features = (log_prob.len / 2) / classes;
    if (feature_of_state.len / 8 != states || features * classes * 2 != log_prob.len || states == 0 ||
        features == 0 || features > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "model arrays of inconsistent sizes");
        goto done;
    }
    /* A tuple holds the samples while the GIL is released: the caller's list may change meanwhile. */
    samples = PyList_AsTuple(samples_object);
    if (samples == NULL) goto done;
    Py_ssize_t texts = PyTuple_GET_SIZE(samples);
    if (texts > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many texts in one call");
        goto done;
    }
    views = PyMem_Calloc(texts ? texts : 1, sizeof(sample_t));
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t index = 0; index < texts; index++) {
        PyObject *sample = PyTuple_GET_ITEM(samples, index);
        if (!PyBytes_Check(sample)) {
            PyErr_Format(PyExc_TypeError, "samples[%zd] is %.100s, not bytes", index, Py_TYPE(sample)->tp_name);
            goto done;
        }
        views[index].data = (const unsigned char *)PyBytes_AS_STRING(sample);
        views[index].length = PyBytes_GET_SIZE(sample);
    }
    scores_bytes = PyBytes_FromStringAndSize(NULL, texts * classes * (Py_ssize_t)sizeof(float));
    emitted_bytes = PyBytes_FromStringAndSize(NULL, texts * (Py_ssize_t)sizeof(int32_t));
    if (scores_bytes == NULL || emitted_bytes == NULL) goto done;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = score_texts(views, texts, (const int32_t *)next_move.buf, moves, (const int64_t *)row_base.buf, states,
                         (const int64_t *)feature_of_state.buf, (const uint16_t *)log_prob.buf, features, classes,
                         (float *)PyBytes_AS_STRING(scores_bytes), (int32_t *)PyBytes_AS_STRING(emitted_bytes));
    Py_END_ALLOW_THREADS
    if (status == -1) {
        PyErr_SetString(PyExc_ValueError, "the model's automaton leaves its tables: corrupt model");
        goto done;
    }
    if (status == -2) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyTuple_Pack(2, scores_bytes, emitted_bytes);

done:
    Py_XDECREF(scores_bytes);
    Py_XDECREF(emitted_bytes);
    Py_XDECREF(samples);
    PyMem_Free(views);
    if (next_move.obj) PyBuffer_Release(&next_move);
    if (row_base.obj) PyBuffer_Release(&row_base);
    if (feature_of_state.obj) PyBuffer_Release(&feature_of_state);
    if (log_prob.obj) PyBuffer_Release(&log_prob);
    return result;
}

static PyMethodDef methods[] = {
    {"feature_scores", feature_scores, METH_VARARGS, feature_scores_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "transforms._langscan",
    "Compiled language-model scoring for transforms.language (see its docstring).", -1, methods,
};

PyMODINIT_FUNC PyInit__langscan(void) {
    widen_row = choose_widen_row();
    tabulate_count_weights();
#ifndef _WIN32
    kept_key_made = pthread_key_create(&kept_key, free_kept) == 0;
#endif
    return PyModule_Create(&module_definition);
}
