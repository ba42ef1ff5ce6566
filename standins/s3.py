"""A local S3 endpoint: moto's server, started as a subprocess on 127.0.0.1."""

from __future__ import annotations

import argparse
import subprocess
import sys

from standins.ports import free_port, wait_for_http

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


class MotoS3Server:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> MotoS3Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.endpoint}/moto-api/", process=self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> MotoS3Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def credentials(self) -> dict:
        """The same shape include.loaders.aws derives from an Airflow AWS connection."""
        return {
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "region_name": REGION,
            "endpoint_url": self.endpoint,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a local S3 stand-in (moto) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(args.port)], check=False)


if __name__ == "__main__":
    main()
