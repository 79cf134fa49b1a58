/* cancel-test — a progress monitor that says "stop" cancels the upscale:
 * InvokeDynamicImageFilter("srgan") raises an error that says so, and the
 * caller's image list is left exactly as it was (same images, same sizes),
 * even when earlier frames had already been upscaled.
 *
 *   cancel-test INPUT      (module found through MAGICK_CODER_FILTER_PATH /
 *                           MAGICK_FILTER_MODULE_PATH, model $SRGAN_MODEL)
 *
 * Every frame gets its own monitor; only the last frame's stops, at its
 * second report, so the core has started on it (and finished at least one
 * 16-pixel tile) when the cancel arrives.  Exit 0 on the expected
 * behaviour, 1 otherwise. */
#include "magick-test-util.h"

#define MAX_FRAMES 8

typedef struct {
    int calls;
    int stop_at;   /* 0: never stop */
} MonitorState;

static MagickBooleanType monitor(const char *tag, const MagickOffsetType offset,
                                 const MagickSizeType extent, void *data)
{
    (void) tag, (void) offset, (void) extent;
    MonitorState *state = data;
    state->calls++;
    return state->stop_at != 0 && state->calls >= state->stop_at ? MagickFalse : MagickTrue;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s INPUT\n", argv[0]);
        return 2;
    }
    MagickCoreGenesis(argv[0], MagickFalse);
    Image *images = test_read_images(argv[1]);
    if (images == NULL)
        return 1;
    const size_t count = GetImageListLength(images);
    if (count > MAX_FRAMES) {
        fprintf(stderr, "at most %d frames\n", MAX_FRAMES);
        return 2;
    }
    Image *original[MAX_FRAMES];
    size_t columns[MAX_FRAMES], rows[MAX_FRAMES];
    MonitorState state[MAX_FRAMES] = { { 0, 0 } };
    size_t i = 0;
    for (Image *frame = images; frame != NULL; frame = GetNextImageInList(frame), i++) {
        original[i] = frame;
        columns[i] = frame->columns;
        rows[i] = frame->rows;
        state[i].stop_at = i == count - 1 ? 2 : 0;
        (void) SetImageProgressMonitor(frame, monitor, &state[i]);
        (void) SetImageArtifact(frame, "srgan:tile", "16");
    }

    ExceptionInfo *exception = AcquireExceptionInfo();
    (void) InvokeDynamicImageFilter("srgan", &images, 0, NULL, exception);
    int failures = 0;
    printf("%zu frames; last frame's monitor calls: %d; exception: severity %d, %s %s\n",
           count, state[count - 1].calls, (int) exception->severity,
           exception->reason ? exception->reason : "(none)",
           exception->description ? exception->description : "");
    if (state[count - 1].calls != 2) {
        fprintf(stderr, "the last monitor was called %d times, expected 2 (stop at the second)\n",
                state[count - 1].calls);
        failures++;
    }
    for (i = 0; i + 1 < count; i++)
        if (state[i].calls < 2) {
            fprintf(stderr, "frame %zu was not upscaled before the cancel (%d reports)\n", i,
                    state[i].calls);
            failures++;
        }
    if (exception->severity < ErrorException || exception->reason == NULL ||
        strstr(exception->reason, "cancel") == NULL) {
        fprintf(stderr, "expected an error naming the cancel\n");
        failures++;
    }
    i = 0;
    for (const Image *frame = images; frame != NULL; frame = GetNextImageInList(frame), i++)
        if (i >= count || frame != original[i] || frame->columns != columns[i] ||
            frame->rows != rows[i]) {
            fprintf(stderr, "frame %zu changed: %zux%zu\n", i, frame->columns, frame->rows);
            failures++;
        }
    if (i != count) {
        fprintf(stderr, "%zu frames after the cancel, expected %zu\n", i, count);
        failures++;
    }
    DestroyExceptionInfo(exception);
    DestroyImageList(images);
    MagickCoreTerminus();
    return failures == 0 ? 0 : 1;
}
