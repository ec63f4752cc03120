"""Neural parts of the codec: encoder, quantizers, denoiser, and the model that ties them."""
