"""A local Azure Blob Storage endpoint: Azurite (Microsoft's Azure Storage API server, npm package
pinned in tools/azurite and installed by `make azurite`), started as a subprocess on 127.0.0.1."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from standins.ports import free_port, wait_for_http

AZURITE_BIN = Path(__file__).resolve().parent.parent / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's built-in development account (documented, public; the same in every Azurite).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_command(port: int, location: str) -> list[str]:
    if not AZURITE_BIN.exists():
        raise RuntimeError(f"Azurite is not installed ({AZURITE_BIN} missing): run `make azurite`")
    return [
        str(AZURITE_BIN), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", location,
        "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl",
    ]


class AzuriteServer:
    """Azurite's blob service on a free port of 127.0.0.1, its data in a temporary folder."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.blob_endpoint = f"http://127.0.0.1:{self.port}/{ACCOUNT_NAME}"
        self.process: subprocess.Popen | None = None
        self._location: str | None = None

    def start(self) -> AzuriteServer:
        self._location = tempfile.mkdtemp(prefix="finops-azurite-")
        self.process = subprocess.Popen(
            azurite_command(self.port, self._location), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_http(f"http://127.0.0.1:{self.port}/", process=self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._location:
            shutil.rmtree(self._location, ignore_errors=True)

    def __enter__(self) -> AzuriteServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
                f"BlobEndpoint={self.blob_endpoint};")

    def service_client(self):
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def credentials(self) -> dict:
        """The same shape include.loaders.azure derives from an Airflow `wasb` connection."""
        return {
            "azure_storage_account_name": ACCOUNT_NAME,
            "azure_storage_account_key": ACCOUNT_KEY,
            "blob_endpoint": self.blob_endpoint,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a local Azure Blob Storage stand-in (Azurite) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=10000)
    parser.add_argument("--location", default=".azurite", help="folder for Azurite's data")
    args = parser.parse_args()
    Path(args.location).mkdir(parents=True, exist_ok=True)
    subprocess.run(azurite_command(args.port, args.location), check=False)


if __name__ == "__main__":
    main()
