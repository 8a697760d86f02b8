"""tumen-border Processing provider: QGIS loads the plugin through :func:`classFactory`."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import TumenBorderPlugin

    return TumenBorderPlugin(iface)
