"""The plugin: registers the Processing provider (QGIS calls initProcessing, then initGui)."""
from __future__ import annotations

from qgis.core import QgsApplication

from .provider import TumenBorderProvider


class TumenBorderPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is None:
            self.provider = TumenBorderProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
