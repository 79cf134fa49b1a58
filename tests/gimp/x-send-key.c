/* x-send-key.c — sends one key press (with modifiers) to the X window whose
 * title contains a given text; the GIMP undo test uses it to press Ctrl+Z
 * in an image window under Xvfb (GIMP's PDB has no "undo" procedure), and
 * the dialog screenshot to open the model list (Alt+M, then space).
 *
 *   x-send-key TITLE-PART KEYSYM [ctrl|shift|alt|none]
 *
 * Exit 0 when a window was found and the events were sent, 1 otherwise.
 * No window manager is needed: the window gets the input focus, then the
 * key goes in through XTest when it is available (GTK 3 only listens to
 * XInput2 key events, which synthetic XSendEvent events are not), else as
 * an XSendEvent to the window (enough for GTK 2, i.e. GIMP 2.10).
 */
#include <X11/Xlib.h>
#ifdef HAVE_XTEST
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#endif
#include <X11/Xutil.h>
#include <stdio.h>
#include <string.h>

/* Does the window's title (_NET_WM_NAME, UTF-8, else WM_NAME in whatever
 * encoding GTK chose: the ASCII part we look for reads the same) contain
 * `part`? */
static int
title_contains(Display *dpy, Window w, const char *part)
{
    Atom net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False);
    Atom type;
    int format, hit = 0;
    unsigned long n, after;
    unsigned char *data = NULL;

    if (XGetWindowProperty(dpy, w, net_wm_name, 0, 4096, False, AnyPropertyType,
                           &type, &format, &n, &after, &data) == Success && data != NULL) {
        hit = format == 8 && strstr((const char *) data, part) != NULL;
        XFree(data);
        if (hit)
            return 1;
    }
    XTextProperty text;
    if (XGetWMName(dpy, w, &text) && text.value != NULL) {
        hit = text.format == 8 && strstr((const char *) text.value, part) != NULL;
        XFree(text.value);
    }
    return hit;
}

/* Prints every titled window (to say what there was when nothing matched). */
static void
list_titles(Display *dpy, Window w)
{
    XTextProperty text;
    if (XGetWMName(dpy, w, &text) && text.value != NULL) {
        fprintf(stderr, "  window 0x%lx: %s\n", (unsigned long) w, (const char *) text.value);
        XFree(text.value);
    }
    Window root, parent, *children = NULL;
    unsigned int n = 0;
    if (XQueryTree(dpy, w, &root, &parent, &children, &n)) {
        for (unsigned int i = 0; i < n; i++)
            list_titles(dpy, children[i]);
        if (children != NULL)
            XFree(children);
    }
}

/* Depth-first search for a window whose title contains `part`. */
static Window
find_window(Display *dpy, Window w, const char *part)
{
    if (title_contains(dpy, w, part))
        return w;
    Window root, parent, *children = NULL;
    unsigned int n = 0;
    Window found = None;
    if (XQueryTree(dpy, w, &root, &parent, &children, &n)) {
        for (unsigned int i = 0; i < n && found == None; i++)
            found = find_window(dpy, children[i], part);
        if (children != NULL)
            XFree(children);
    }
    return found;
}

#ifndef HAVE_XTEST
static void
send_key(Display *dpy, Window w, int type, KeyCode code, unsigned int state)
{
    XKeyEvent ev = {
        .type = type, .display = dpy, .window = w, .root = DefaultRootWindow(dpy),
        .subwindow = None, .time = CurrentTime, .x = 1, .y = 1, .x_root = 1, .y_root = 1,
        .state = state, .keycode = code, .same_screen = True,
    };
    XSendEvent(dpy, w, True, type == KeyPress ? KeyPressMask : KeyReleaseMask,
               (XEvent *) &ev);
}
#endif

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TITLE-PART KEYSYM [ctrl|shift|alt|none]\n", argv[0]);
        return 2;
    }
    Display *dpy = XOpenDisplay(NULL);
    if (dpy == NULL) {
        fprintf(stderr, "x-send-key: cannot open display\n");
        return 1;
    }
    Window w = find_window(dpy, DefaultRootWindow(dpy), argv[1]);
    if (w == None) {
        fprintf(stderr, "x-send-key: no window titled *%s*; there are:\n", argv[1]);
        list_titles(dpy, DefaultRootWindow(dpy));
        XCloseDisplay(dpy);
        return 1;
    }
    KeySym sym = XStringToKeysym(argv[2]);
    KeyCode code = XKeysymToKeycode(dpy, sym);
    unsigned int state = argc > 3 && strcmp(argv[3], "ctrl") == 0 ? ControlMask
                       : argc > 3 && strcmp(argv[3], "shift") == 0 ? ShiftMask
                       : argc > 3 && strcmp(argv[3], "alt") == 0 ? Mod1Mask : 0;
    if (code == 0) {
        fprintf(stderr, "x-send-key: unknown key %s\n", argv[2]);
        XCloseDisplay(dpy);
        return 1;
    }
    XRaiseWindow(dpy, w);
    XSetInputFocus(dpy, w, RevertToParent, CurrentTime);
    XSync(dpy, False);
#ifdef HAVE_XTEST
    KeyCode modifier = state == ControlMask ? XKeysymToKeycode(dpy, XK_Control_L)
                     : state == ShiftMask ? XKeysymToKeycode(dpy, XK_Shift_L)
                     : state == Mod1Mask ? XKeysymToKeycode(dpy, XK_Alt_L) : 0;
    if (modifier)
        XTestFakeKeyEvent(dpy, modifier, True, CurrentTime);
    XTestFakeKeyEvent(dpy, code, True, CurrentTime);
    XTestFakeKeyEvent(dpy, code, False, CurrentTime);
    if (modifier)
        XTestFakeKeyEvent(dpy, modifier, False, CurrentTime);
#else
    send_key(dpy, w, KeyPress, code, state);
    send_key(dpy, w, KeyRelease, code, state);
#endif
    XSync(dpy, False);
    printf("x-send-key: sent %s to window 0x%lx\n", argv[2], (unsigned long) w);
    XCloseDisplay(dpy);
    return 0;
}
