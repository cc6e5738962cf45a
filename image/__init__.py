"""The stand-in base image and the `make image-test` harness (see docs/image.md)."""
