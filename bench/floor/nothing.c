// nothing: exits 0 at once, a static program with no dynamic loader: the
// exec loop's target (bench/floor/execloop.c), so that the loop measures
// the exec and little else.
int main(void) { return 0; }
