// Pure: the files a prompt names, with the field that names each, for the ownership check that runs
// before any upstream call.
import type { Content } from "../../gen/ts/geminiconnect/v1/content_pb.ts";
import { fileUriMeaning } from "./uri.ts";

/** What GenerateContentRequest and CountTokensRequest have in common. */
export interface ContentsRequest {
  readonly contents: readonly Content[];
  readonly systemInstruction?: Content | undefined;
}

export interface FileReference {
  /** The field path, as an error names it: `contents[0].parts[1].file_data.file_uri`. */
  readonly field: string;
  /** `files/{id}`; undefined when the URI is on a files host but not plainly a file's URI. */
  readonly name: string | undefined;
}

export function fileReferences(request: ContentsRequest, fileHosts: ReadonlySet<string>): FileReference[] {
  const references: FileReference[] = [];
  const scan = (content: Content | undefined, at: string) => {
    content?.parts.forEach((part, index) => {
      if (part.data.case !== "fileData") return;
      const meaning = fileUriMeaning(part.data.value.fileUri, fileHosts);
      if (meaning.kind === "other") return;
      const field = `${at}.parts[${index}].file_data.file_uri`;
      references.push({ field, name: meaning.kind === "file" ? meaning.name : undefined });
    });
  };
  request.contents.forEach((content, index) => scan(content, `contents[${index}]`));
  scan(request.systemInstruction, "system_instruction");
  return references;
}
