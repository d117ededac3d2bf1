// geminiconnect.v1.FileService over Connect, gRPC and gRPC-Web: each method is one call to the
// files core, as the caller the auth interceptor found. UploadFile also reports what it received
// (uploadReportKey), for the log line and the bytes-by-caller metric.

import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { FileService, UploadFileRequest } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import type { FilesCore } from "../files/core.ts";
import { callerKey, newUploadReport, uploadReportKey } from "../observe/rpc-record.ts";
import type { UploadReport } from "../observe/rpc-record.ts";

/** What createFileService needs. */
export interface FileServiceOptions {
  readonly files: FilesCore;
}

/** The Connect implementation of geminiconnect.v1.FileService. */
export function createFileService(options: FileServiceOptions): ServiceImpl<typeof FileService> {
  const { files } = options;
  return {
    uploadFile(requests, ctx) {
      const report = newUploadReport();
      ctx.values.set(uploadReportKey, report);
      return files.upload(callerOf(ctx), reported(requests, report), ctx.signal);
    },

    getFile: (request, ctx) => files.get(callerOf(ctx), request.name, ctx.signal),

    listFiles: (request, ctx) => files.list(callerOf(ctx), request.pageSize, request.pageToken, ctx.signal),

    async deleteFile(request, ctx) {
      await files.delete(callerOf(ctx), request.name, ctx.signal);
      return {};
    },

    watchFile: (request, ctx) => files.watch(callerOf(ctx), request.name, ctx.signal),
  };
}

function callerOf(ctx: HandlerContext): string | undefined {
  return ctx.values.get(callerKey)?.name;
}

/** The upload's messages, passed on unchanged, with what they carry counted into `report`. */
async function* reported(requests: AsyncIterable<UploadFileRequest>, report: UploadReport): AsyncGenerator<UploadFileRequest> {
  for await (const request of requests) {
    const { payload } = request;
    if (payload.case === "chunk") {
      report.bytes += payload.value.length;
    } else if (payload.case === "metadata") {
      report.displayNameLength = payload.value.displayName.length;
    }
    yield request;
  }
}
