/* checkpoint.h — saving and restoring a training run, and exporting the
 * generator for the core.
 *
 * A checkpoint is a safetensors file (format srgan-train-checkpoint) with
 * every generator tensor under "g.<name>" and the discriminator's under
 * "d.<name>" (names as in weights/FORMAT.md for g), each trainable one with
 * its Adam moments "<…>.adam_m" / ".adam_v", plus __metadata__ holding the
 * architecture, the step, both Adam step counts and the data RNG state, so
 * that a resumed run continues exactly where the saved one stopped.
 */
#ifndef TRAIN_CHECKPOINT_H
#define TRAIN_CHECKPOINT_H

#include "trainer.h"

gboolean checkpoint_save(const Trainer *trainer, const char *path, GError **error);

/* Reads the architecture (phase, generator and discriminator shape, crop)
 * of a checkpoint into opt, leaving the other fields alone. */
gboolean checkpoint_read_options(const char *path, TrainOptions *opt, GError **error);

/* Restores every tensor, Adam state, step and RNG of a checkpoint written
 * for the same architecture. */
gboolean checkpoint_restore(Trainer *trainer, const char *path, GError **error);

/* Copies the generator's weights and BatchNorm statistics (not its Adam
 * state) from a checkpoint or an exported srgan-generator file: the srgan
 * phase starts from a trained SRResNet this way. */
gboolean checkpoint_init_generator(Trainer *trainer, const char *path, GError **error);

/* Writes the generator in the core's format (weights/FORMAT.md):
 * batchnorm true, tail conv-bn, output tanh, input_range 0,1. */
gboolean export_generator(const Generator *gen, const char *path,
                          const char *source, GError **error);

#endif
