/// Forward/backward kernels over flat row-major Float32 buffers (llm.c style).
///
/// Every kernel takes raw pointers plus dimensions and documents its shapes. Unless a kernel says
/// otherwise, backward kernels ACCUMULATE (`+=`) into their input-gradient buffers, so a tensor used
/// twice in a graph gets both contributions without the caller zeroing in between.
/// Legend used in comments: T tokens, H heads, D head dimension, V vocabulary.
public enum Kernels {}
