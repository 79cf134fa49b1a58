/* safetensors-io.h — reading and writing safetensors files (8-byte
 * little-endian header length, JSON header, raw little-endian data), the
 * container of the trainer's checkpoints, exported generators and VGG19
 * weights.  Only F32 tensors are used.  Writes go to a temporary file in
 * the same folder that is renamed over the target when complete, so an
 * interrupted save never leaves a half-written file.
 */
#ifndef TRAIN_SAFETENSORS_IO_H
#define TRAIN_SAFETENSORS_IO_H

#include <glib.h>

#define ST_MAX_DIMS 8

/* A file opened for reading; the container is validated by the core's
 * loader (core/safetensors.c). */
typedef struct StFile StFile;

StFile *st_file_open(const char *path, GError **error);
void st_file_free(StFile *file);
/* The shape of tensor `name`: FALSE if there is none. */
gboolean st_file_shape(const StFile *file, const char *name, int *ndim,
                       gint64 shape[ST_MAX_DIMS]);
const char *st_file_metadata(const StFile *file, const char *key);
/* The path the file was opened from, for messages. */
const char *st_file_path(const StFile *file);
/* Copies tensor `name` into dst after checking it exists, is F32 and holds
 * exactly `count` elements with the given shape (ndim 0: any shape). */
gboolean st_file_read(const StFile *file, const char *name, int ndim,
                      const int *shape, float *dst, gsize count, GError **error);

typedef struct StWriter StWriter;
StWriter *st_writer_new(void);
void st_writer_free(StWriter *writer);
void st_writer_metadata(StWriter *writer, const char *key, const char *value);
/* `data` is borrowed until st_writer_write(). */
void st_writer_add(StWriter *writer, const char *name, int ndim,
                   const int *shape, const float *data);
gboolean st_writer_write(StWriter *writer, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(StFile, st_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StWriter, st_writer_free)

#endif
