// The types of `import type { Context } from "@oomol/types/oocana"`, as oocana-local's Node
// worker implements them (context.mjs). `oocana-local check` type-checks TypeScript blocks
// against these when the package has no @oomol/types installed, so they work offline.
// Names and signatures follow @oomol/types (oocana-node 0.24); where oocana-local offers
// more (runBlock's handle, queryDownstream, warning) that is declared too.

declare module "@oomol/types/oocana" {
  /** One `inputs_def` / `outputs_def` item. */
  export interface HandleDef {
    handle: string;
    description?: string;
    json_schema?: Record<string, any>;
    kind?: string;
    nullable?: boolean;
    value?: unknown;
    is_additional?: boolean;
    [key: string]: unknown;
  }
  /** Handle name -> its definition. */
  export type HandlesDef = Record<string, HandleDef>;

  /** One level of the flows a job runs in, outermost first. */
  export interface BlockJobStackLevel {
    flow_job_id: string;
    flow: string;
    node_id: string;
  }

  export type PreviewType =
    | "image" | "video" | "audio" | "markdown" | "iframe" | "html" | "json" | "text"
    | `text/${string}` | "table";

  export type PreviewPayload =
    | { type: "video" | "audio" | "markdown" | "iframe" | "html"; data: string }
    | { type: "json" | "text" | `text/${string}`; data: any }
    | { type: "image"; data: string | string[] | Uint8Array }
    | {
        type: "table";
        /** The table, or the path of a CSV file. */
        data:
          | {
              columns: Array<string | number>;
              rows: Array<Array<string | number | boolean | null>>;
              row_count?: number;
            }
          | string;
      }
    | { type: "csv"; data: string };

  /** Return `context.keepAlive` to end the function but not the job (then `finish()`). */
  export type KeepAlive = symbol;
  export type ReturnObject<T = Record<string, unknown>> = void | undefined | Partial<T> | KeepAlive;

  export type MainFunction<TInputs = Record<string, any>, TOutputs = Record<string, any>> = (
    inputs: TInputs,
    context: Context<TInputs, TOutputs>,
  ) => ReturnObject<TOutputs> | Promise<ReturnObject<TOutputs>>;

  export type OOMOL_LLM_ENV = {
    readonly baseUrl: string;
    /** `{baseUrl}/v1`, an OpenAI-compatible endpoint. */
    readonly baseUrlV1: string;
    readonly apiKey: string;
    readonly models: string[];
  };

  export type HostInfo = {
    readonly gpuVendor: string;
    readonly gpuRenderer: string;
  };

  /** Where `output(handle, value, options)` sends the value (default: everywhere wired). */
  export interface OutputOptions {
    to_node?: Array<{ node_id: string; input_handle: string }>;
    to_flow?: Array<{ output_handle: string }>;
  }

  export interface QueryBlockResponse {
    type: "task" | "subflow";
    description?: string | null;
    inputs_def: HandleDef[];
    outputs_def: HandleDef[];
    additional_inputs: boolean;
    additional_outputs: boolean;
  }

  export interface Downstream {
    to_flow: Array<{ output_handle: string; output_handle_def?: HandleDef }>;
    to_node: Array<{
      node_id: string;
      description?: string;
      input_handle: string;
      input_handle_def?: HandleDef;
    }>;
  }

  export interface RunBlockOptions {
    inputs?: Record<string, any>;
    additional_inputs_def?: HandleDef[];
    additional_outputs_def?: HandleDef[];
    /** Fail at once when an input does not match the block's json_schema. */
    strict?: boolean;
  }

  /** How a job started with `runBlock` ended: its `error`, else its `result`. */
  export interface RunBlockEnd {
    result?: Record<string, unknown>;
    error?: string;
  }

  /** The job `runBlock` started: listeners (chainable) and its end. */
  export interface RunBlockHandle {
    readonly block: string;
    readonly jobId: string;
    /** Every output so far, by handle. */
    readonly outputs: Record<string, unknown>;
    onOutput(listener: (data: { handle: string; output: any }) => void): this;
    onProgress(listener: (progress: number) => void): this;
    onMessage(listener: (payload: any) => void): this;
    onPreview(listener: (payload: any) => void): this;
    finish(): Promise<RunBlockEnd>;
    /** Every output of the job, merged, once it ended; throws its error. */
    joinOutputs(): Promise<Record<string, any>>;
  }

  export interface Context<TInputs = Record<string, any>, TOutputs = Record<string, any>> {
    readonly sessionId: string;
    readonly jobId: string;
    readonly node_id: string;
    readonly block_path?: string;
    readonly stacks: readonly BlockJobStackLevel[];
    readonly inputs: TInputs;
    readonly inputsDef: HandlesDef;
    readonly outputsDef: HandlesDef;
    /** Kept across the jobs of one node in one session (one flow run). */
    readonly flowNodeStore: { [key: string]: any };

    /** Send one output; the job goes on. */
    readonly output: <THandle extends Extract<keyof TOutputs, string>>(
      handle: THandle,
      output: TOutputs[THandle],
      options?: OutputOptions,
    ) => Promise<void>;
    /** Send several outputs at once. */
    readonly outputs: (map: Partial<TOutputs>) => Promise<void>;
    /** End a job that returned `keepAlive`: with an `error` it fails, else it succeeds. */
    readonly finish: (
      arg?: { result?: Partial<TOutputs> | Record<string, any>; error?: never }
        | { result?: never; error?: unknown },
    ) => Promise<void>;

    readonly logJSON: (jsonValue: unknown) => Promise<void>;
    readonly error: (error: unknown) => Promise<void>;
    readonly warning: (message: string) => Promise<void>;
    readonly sendMessage: (payload: unknown) => Promise<void>;
    readonly preview: (payload: PreviewPayload) => Promise<void>;
    readonly reportLog: (payload: string, stdio?: "stdout" | "stderr") => Promise<void>;
    /** 0 to 100; throttled: at most one report per 300 ms, the newest wins. */
    readonly reportProgress: (progress: number) => Promise<void>;

    readonly queryBlock: (blockName: string) => Promise<QueryBlockResponse>;
    readonly queryDownstream: (handles?: string[]) => Promise<Record<string, Downstream>>;
    /** Start block `self::<name>` or `<package>::<name>` as a job of this session. */
    readonly runBlock: (blockName: string, options?: RunBlockOptions) => RunBlockHandle;
    readonly getOomolToken: () => Promise<string>;

    /** Shared by all the blocks of the session. */
    readonly sessionDir: string;
    /** Temporary folder of the flow run. */
    readonly tmpDir: string;
    /** Temporary folder of this package in the flow run. */
    readonly tmpPkgDir: string;
    /** This package's folder for data that outlives sessions. */
    readonly pkgDir: string;
    readonly OOMOL_LLM_ENV: OOMOL_LLM_ENV;
    readonly hostInfo: HostInfo;
    /** `$OO_HOST_ENDPOINT`, when set. */
    readonly hostEndpoint: string | undefined;
    readonly keepAlive: KeepAlive;
  }
}
