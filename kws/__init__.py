"""The project's own commands and the pieces every package shares.

kws.cli       the one error path and the argument types of every command line (imports nothing from the
              project, so any package can use it without an import cycle)
kws.pipeline  the SoC's per-hop KWS loop on the host: front-end mode from the model, the ring of 49
              frames, the golden int8 model, the firmware's own detector (kws_detect.c, compiled natively)
kws.listen    `python -m kws listen CLIP.wav ...`: detections exactly as the SoC demo prints them
"""
