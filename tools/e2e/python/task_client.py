"""An independent TaskService / ProgramService client (python grpcio), as another grid system would use it.

Stubs are generated from proto/ at start with grpcio-tools (nothing generated is kept in the repo).

  task_client.py <address> submit <request.json>      SubmitTaskSet; prints the TaskSet as JSON
  task_client.py <address> watch <task set id>        WatchTaskSet; one JSON line per update until done
  task_client.py <address> summary <task set id>      SummarizeTaskSet; prints JSON
  task_client.py <address> register <request.json>    RegisterProgram (code_file: path of the code); prints the Program
  task_client.py <address> advance <name> <version> <STAGE>
"""
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc
from google.protobuf import json_format

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PROTO = os.path.join(ROOT, 'proto')


def stubs():
    out = tempfile.mkdtemp(prefix='gs-py-')
    files = ['gridstation/v1/task.proto', 'gridstation/v1/program.proto']
    include = os.path.join(os.path.dirname(protoc.__file__), '_proto')
    rc = protoc.main(['protoc', f'-I{PROTO}', f'-I{include}', f'--python_out={out}', f'--grpc_python_out={out}', *files])
    if rc != 0:
        raise SystemExit(f'protoc failed ({rc})')
    sys.path.insert(0, out)
    from gridstation.v1 import task_pb2, task_pb2_grpc, program_pb2, program_pb2_grpc  # noqa: E402
    return task_pb2, task_pb2_grpc, program_pb2, program_pb2_grpc


def as_json(m):
    return json_format.MessageToDict(m, preserving_proto_field_name=True)


def main():
    address, command, *args = sys.argv[1:]
    task_pb2, task_grpc, program_pb2, program_grpc = stubs()
    channel = grpc.insecure_channel(address)
    tasks = task_grpc.TaskServiceStub(channel)
    programs = program_grpc.ProgramServiceStub(channel)
    try:
        if command == 'submit':
            with open(args[0]) as f:
                req = json_format.ParseDict(json.load(f), task_pb2.SubmitTaskSetRequest())
            print(json.dumps(as_json(tasks.SubmitTaskSet(req, timeout=60).task_set)))
        elif command == 'watch':
            for update in tasks.WatchTaskSet(task_pb2.WatchTaskSetRequest(id=args[0]), timeout=600):
                print(json.dumps({'done': update.done, 'task_set': as_json(update.task_set)}), flush=True)
        elif command == 'summary':
            print(json.dumps(as_json(tasks.SummarizeTaskSet(task_pb2.SummarizeTaskSetRequest(id=args[0], limit=10000), timeout=60))))
        elif command == 'register':
            with open(args[0]) as f:
                spec = json.load(f)
            with open(spec.pop('code_file'), 'rb') as f:
                code = f.read()
            req = json_format.ParseDict(spec, program_pb2.RegisterProgramRequest())
            req.code = code
            print(json.dumps(as_json(programs.RegisterProgram(req, timeout=60).program)))
        elif command == 'advance':
            name, version, stage = args
            req = program_pb2.AdvanceProgramRequest(name=name, version=version, to=program_pb2.ProgramStage.Value(f'PROGRAM_STAGE_{stage}'), by='python')
            print(json.dumps(as_json(programs.AdvanceProgram(req, timeout=60).program)))
        else:
            raise SystemExit(f'unknown command {command}')
    except grpc.RpcError as e:
        print(json.dumps({'error': {'code': e.code().name, 'details': e.details()}}))
        sys.exit(3)


if __name__ == '__main__':
    main()
