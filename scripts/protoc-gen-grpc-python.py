"""protoc plugin that writes Python gRPC stubs (*_pb2_grpc.py) with grpcio-tools.

grpcio-tools carries gRPC's Python generator only inside its own protoc, not as a
plugin that buf can run. This adapter is that plugin: it hands the files buf asks for
to grpcio-tools' protoc as a descriptor set and returns what it writes. The stubs thus
come from the same pinned grpcio-tools (and the same protoc) as the messages, and match
the grpcio runtime of that version.

Run it with the Python that has grpcio-tools (buf.gen.yaml names .tools/venv/bin/python).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as workdir:
        descriptors = os.path.join(workdir, "descriptors.binpb")
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(workdir, "out")
        os.mkdir(out)
        target = f"{request.parameter}:{out}" if request.parameter else out
        code = protoc.main(
            ["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={target}"]
            + list(request.file_to_generate)
        )
        if code != 0:
            response.error = f"grpcio-tools protoc exited with {code}"
        else:
            for root, _, files in os.walk(out):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        response.file.add(name=os.path.relpath(path, out), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
