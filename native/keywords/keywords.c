/*
 * Warden's optional native keyword prefilter: Hyperscan's literal matcher over the secret rules'
 * keywords, with the interface of collectKeywords (src/scan/secrets/aho-corasick.ts): every keyword
 * occurrence as (keyword id, end offset) pairs in an Int32Array, in the order the JavaScript
 * automaton writes them (by end offset; at one end offset, longer keyword first, then lower id).
 *
 *   compile(keywords: Buffer[]) -> database   lower-case ASCII literals, matched caseless
 *   collect(database, bytes, buf, hits) -> n  ints written; a full buf is replaced, as the JS does:
 *                                             hits.buf = a new Int32Array of buf.length doubled
 *                                             until the hits fit, holding all of them
 *
 * Threads: every worker thread loads the module for itself (N-API instance data); the Hyperscan
 * scratch belongs to that thread's instance, grown for each database compiled there, and a database
 * is only ever used from the thread that compiled it (a JavaScript value cannot cross threads).
 */
#define _GNU_SOURCE /* qsort_r */
#include <hs/hs.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  hs_scratch_t *scratch;
} instance_t;

/* Marks the externals compile() returns, so collect() never takes another addon's pointer for one. */
static const napi_type_tag DATABASE_TAG = {0x77617264656e6b77ULL, 0x68797065727363aeULL};

typedef struct {
  hs_database_t *db;
  uint32_t count;
  uint32_t *len; /* byte length of each keyword id */
} database_t;

/* One collect call: where hits go, and the keyword lengths to order ties at one end offset. */
typedef struct {
  int32_t *out;      /* the caller's Int32Array, then (after an overflow) `spill` */
  size_t cap;        /* ints `out` holds */
  size_t n;          /* ints written */
  int32_t *spill;    /* malloc'd once the caller's array is full */
  size_t spill_cap;
  const uint32_t *len;
  int unordered;     /* an end offset below the previous one came (not expected from Hyperscan) */
  int failed;        /* out of memory */
} sink_t;

#define THROW(env, msg)                           \
  do {                                            \
    napi_throw_error((env), "WARDEN_NATIVE", msg); \
    return NULL;                                  \
  } while (0)

#define CHECK(env, call)                    \
  do {                                      \
    if ((call) != napi_ok) THROW(env, #call); \
  } while (0)

/* Pair a sorts before pair b: by end offset, then the longer keyword, then the lower id. */
static int before(const sink_t *s, const int32_t *a, const int32_t *b) {
  if (a[1] != b[1]) return a[1] < b[1];
  if (s->len[a[0]] != s->len[b[0]]) return s->len[a[0]] > s->len[b[0]];
  return a[0] < b[0];
}

static int compare_pairs(const void *pa, const void *pb, void *context) {
  const int32_t *a = pa, *b = pb;
  if (before(context, a, b)) return -1;
  if (before(context, b, a)) return 1;
  return 0;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                    void *context) {
  (void)from;
  (void)flags;
  sink_t *s = context;
  if (s->n + 2 > s->cap) {
    size_t cap = s->cap < 1024 ? 1024 : s->cap * 2;
    int32_t *grown = realloc(s->spill, cap * sizeof(int32_t));
    if (grown == NULL) {
      s->failed = 1;
      return 1; /* stops the scan */
    }
    if (s->spill == NULL) memcpy(grown, s->out, s->n * sizeof(int32_t));
    s->spill = s->out = grown;
    s->spill_cap = s->cap = cap;
  }
  int32_t *p = s->out + s->n;
  p[0] = (int32_t)id;
  p[1] = (int32_t)to;
  s->n += 2;
  /* Ties at one end offset: move the new pair back to its place (a handful of keywords at most). */
  while (p > s->out && p[-1] >= p[1] && before(s, p, p - 2)) {
    if (p[-1] > p[1]) {
      s->unordered = 1;
      break;
    }
    int32_t id0 = p[-2], end0 = p[-1];
    p[-2] = p[0];
    p[-1] = p[1];
    p[0] = id0;
    p[1] = end0;
    p -= 2;
  }
  return 0;
}

static void free_database(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  database_t *d = data;
  hs_free_database(d->db);
  free(d->len);
  free(d);
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *inst = data;
  if (inst->scratch != NULL) hs_free_scratch(inst->scratch);
  free(inst);
}

static napi_value compile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  instance_t *inst;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_instance_data(env, (void **)&inst));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array)
    THROW(env, "compile: expected an array of Buffers");
  uint32_t count;
  CHECK(env, napi_get_array_length(env, argv[0], &count));
  if (count == 0) THROW(env, "compile: no keywords");
  const char **exprs = calloc(count, sizeof(char *));
  size_t *lens = calloc(count, sizeof(size_t));
  unsigned *flags = calloc(count, sizeof(unsigned));
  unsigned *ids = calloc(count, sizeof(unsigned));
  database_t *d = calloc(1, sizeof(database_t));
  uint32_t *klen = calloc(count, sizeof(uint32_t));
  const char *error = NULL;
  if (exprs == NULL || lens == NULL || flags == NULL || ids == NULL || d == NULL || klen == NULL)
    error = "compile: out of memory";
  for (uint32_t i = 0; error == NULL && i < count; i++) {
    napi_value item;
    bool is_buffer = false;
    void *data;
    size_t len;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || napi_is_buffer(env, item, &is_buffer) != napi_ok ||
        !is_buffer || napi_get_buffer_info(env, item, &data, &len) != napi_ok || len == 0) {
      error = "compile: every keyword must be a non-empty Buffer";
      break;
    }
    exprs[i] = data;
    lens[i] = len;
    flags[i] = HS_FLAG_CASELESS;
    ids[i] = i;
    klen[i] = (uint32_t)len;
  }
  hs_compile_error_t *compile_error = NULL;
  if (error == NULL &&
      hs_compile_lit_multi(exprs, flags, ids, lens, count, HS_MODE_BLOCK, NULL, &d->db, &compile_error) != HS_SUCCESS) {
    error = "compile: hs_compile_lit_multi failed";
    if (compile_error != NULL) hs_free_compile_error(compile_error);
  }
  if (error == NULL && hs_alloc_scratch(d->db, &inst->scratch) != HS_SUCCESS) error = "compile: hs_alloc_scratch failed";
  free(exprs);
  free(lens);
  free(flags);
  free(ids);
  napi_value result;
  if (error == NULL) {
    d->count = count;
    d->len = klen;
    if (napi_create_external(env, d, free_database, NULL, &result) == napi_ok) {
      /* From here the finalizer owns d. */
      if (napi_type_tag_object(env, result, &DATABASE_TAG) != napi_ok) THROW(env, "compile: cannot tag the database");
      return result;
    }
    error = "compile: napi_create_external failed";
  }
  if (d != NULL && d->db != NULL) hs_free_database(d->db);
  free(d);
  free(klen);
  THROW(env, error);
}

static napi_value collect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  instance_t *inst;
  database_t *d;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_instance_data(env, (void **)&inst));
  if (argc < 4) THROW(env, "collect: expected (database, bytes, buf, hits)");
  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[0], &type));
  bool tagged = false;
  if (type != napi_external || napi_check_object_type_tag(env, argv[0], &DATABASE_TAG, &tagged) != napi_ok || !tagged)
    THROW(env, "collect: not a database");
  CHECK(env, napi_get_value_external(env, argv[0], (void **)&d));

  napi_typedarray_type bytes_type, buf_type;
  size_t length, cap;
  void *data, *buf;
  bool is_typed;
  CHECK(env, napi_is_typedarray(env, argv[1], &is_typed));
  if (!is_typed) THROW(env, "collect: bytes must be a Uint8Array");
  CHECK(env, napi_get_typedarray_info(env, argv[1], &bytes_type, &length, &data, NULL, NULL));
  if (bytes_type != napi_uint8_array) THROW(env, "collect: bytes must be a Uint8Array");
  CHECK(env, napi_is_typedarray(env, argv[2], &is_typed));
  if (!is_typed) THROW(env, "collect: buf must be an Int32Array");
  CHECK(env, napi_get_typedarray_info(env, argv[2], &buf_type, &cap, &buf, NULL, NULL));
  if (buf_type != napi_int32_array) THROW(env, "collect: buf must be an Int32Array");
  /* Offsets are Int32Array entries; the caller sends larger buffers to the JavaScript automaton. */
  if (length > INT32_MAX) THROW(env, "collect: buffer too large");
  /* An empty array could never grow by doubling; the caller never sends one. */
  if (cap == 0) THROW(env, "collect: empty hit buffer");

  sink_t s = {buf, cap, 0, NULL, 0, d->len, 0, 0};
  if (length > 0) {
    hs_error_t rc = hs_scan(d->db, data, (unsigned int)length, 0, inst->scratch, on_match, &s);
    if (s.failed) {
      free(s.spill);
      THROW(env, "collect: out of memory");
    }
    if (rc != HS_SUCCESS) {
      free(s.spill);
      THROW(env, "collect: hs_scan failed");
    }
  }
  if (s.unordered) {
    qsort_r(s.out, s.n / 2, 2 * sizeof(int32_t), compare_pairs, &s);
  }
  if (s.spill != NULL) {
    /* As collectKeywords: the array doubles until the hits fit, and hits.buf is the new one. */
    size_t grown = cap;
    while (grown < s.n) grown *= 2;
    napi_value array_buffer, array;
    void *grown_data;
    napi_status st = napi_create_arraybuffer(env, grown * sizeof(int32_t), &grown_data, &array_buffer);
    if (st == napi_ok) {
      memcpy(grown_data, s.spill, s.n * sizeof(int32_t));
      memset((int32_t *)grown_data + s.n, 0, (grown - s.n) * sizeof(int32_t));
      st = napi_create_typedarray(env, napi_int32_array, grown, array_buffer, 0, &array);
    }
    free(s.spill);
    if (st != napi_ok) THROW(env, "collect: cannot allocate the grown hit buffer");
    CHECK(env, napi_set_named_property(env, argv[3], "buf", array));
  }
  napi_value result;
  CHECK(env, napi_create_uint32(env, (uint32_t)s.n, &result));
  return result;
}

NAPI_MODULE_INIT() {
  instance_t *inst = calloc(1, sizeof(instance_t));
  if (inst == NULL || napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, "WARDEN_NATIVE", "cannot set instance data");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"compile", NULL, compile, NULL, NULL, NULL, napi_enumerable, NULL},
      {"collect", NULL, collect, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}
