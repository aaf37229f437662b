"""Design-space exploration of the accelerator for a model and a target FPGA (issue 18):
``python -m accel.dse MODEL.tflite --device xc7a35t``. docs/dse.md."""
