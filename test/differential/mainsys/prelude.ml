(* Differential test runtime, area mainsys (see ../README.md): Lwt_main's hooks and exit hooks,
   Lwt_unix signals and notifications, Lwt_preemptive, waitpid/wait4/system, local DNS and the
   system databases. Each program prints "P<n>" then its trace lines. *)
[@@@ocaml.warning "-3"]
open Lwt.Infix

let pr s = print_string s; print_char '\n'; flush stdout

exception E of string

let errs = function
  | E s -> "E(" ^ s ^ ")"
  | Unix.Unix_error (e, fn, _) -> Printf.sprintf "ERR(%s,%s)" (Unix.error_message e) fn
  | Invalid_argument _ -> "Invalid_argument"
  | Not_found -> "Not_found"
  | Lwt.Canceled -> "Canceled"
  | Failure s -> "Failure " ^ s
  | e -> "EXN " ^ Printexc.to_string e

(* The loop of later Lwt (ocsigen/lwt#917, Lwt >= 5.7): look at the promise first, then the
   enter hooks, one engine iteration, the paused promises, the leave hooks. Lwt 5.6.1's
   Lwt_main.run wakes the paused promises before looking at its promise (and again with the
   yielded ones after the engine), which is what later Lwt changed and what ours follows; the
   hooks programs use this loop (env ORIG=1: Lwt 5.6.1's own Lwt_main.run). It is written here
   from that description: the hook sequences are Lwt_main's own. *)
let orig = Sys.getenv_opt "ORIG" = Some "1"
let in_run = ref false
(* hrun_start f: the twin of LwtMain.Run(Func): f is called inside the run (nested runs in
   it are refused), where Lwt_main.run (f ()) calls it before. *)
let rec hrun p = hrun_start (fun () -> p)
and hrun_start f =
  if orig then Lwt_main.run (f ()) else begin
  if !in_run then failwith "nested";
  in_run := true;
  let p = try f () with e -> (in_run := false; raise e) in
  let rec loop () =
    match Lwt.poll p with
    | Some x -> x
    | None ->
      Lwt_sequence.iter_l (fun f -> f ()) Lwt_main.enter_iter_hooks;
      Lwt_engine.iter (Lwt.paused_count () = 0);
      Lwt.wakeup_paused ();
      Lwt_sequence.iter_l (fun f -> f ()) Lwt_main.leave_iter_hooks;
      loop ()
  in
  Fun.protect ~finally:(fun () -> in_run := false) loop end

let run_report label f =
  match hrun_start (fun () -> Lwt.apply f ()) with
  | () -> pr (label ^ " ok")
  | exception e -> pr (label ^ " raised " ^ errs e)

let rec pauses n = if n <= 0 then Lwt.return_unit else Lwt.pause () >>= fun () -> pauses (n - 1)

(* signals: OCaml's own numbers for the ones used, to Linux's *)
let signame s =
  if s = Sys.sigusr1 then "USR1" else if s = Sys.sigusr2 then "USR2"
  else if s = Sys.sigterm then "TERM" else if s = Sys.sigkill then "KILL"
  else if s = Sys.sighup then "HUP" else if s = Sys.sigint then "INT"
  else if s = Sys.sigchld then "CHLD" else string_of_int s
let status = function
  | Unix.WEXITED n -> Printf.sprintf "WEXITED %d" n
  | Unix.WSIGNALED s -> "WSIGNALED " ^ signame s
  | Unix.WSTOPPED s -> "WSTOPPED " ^ signame s
let kill_self s = Unix.kill (Unix.getpid ()) s
let settle () = Lwt_unix.sleep 0.05

let guard label p =
  Lwt.catch (fun () -> p >|= fun s -> pr ("  " ^ label ^ " -> " ^ s))
    (fun e -> pr ("  " ^ label ^ " -> " ^ errs e); Lwt.return_unit)

let spawn argv =
  Unix.create_process argv.(0) argv Unix.stdin Unix.stdout Unix.stderr

(* DNS results, sorted so that the resolver's order does not matter *)
let fam = function Unix.PF_INET -> "INET" | Unix.PF_INET6 -> "INET6" | Unix.PF_UNIX -> "UNIX"
let styp = function Unix.SOCK_STREAM -> "STREAM" | Unix.SOCK_DGRAM -> "DGRAM"
  | Unix.SOCK_RAW -> "RAW" | Unix.SOCK_SEQPACKET -> "SEQPACKET"
let addr = function
  | Unix.ADDR_INET (a, p) -> Printf.sprintf "%s:%d" (Unix.string_of_inet_addr a) p
  | Unix.ADDR_UNIX s -> "unix:" ^ s
let ai_str (ai : Unix.addr_info) =
  Printf.sprintf "%s/%s/%s" (fam ai.ai_family) (styp ai.ai_socktype) (addr ai.ai_addr)
let sorted l = "[" ^ String.concat ";" (List.sort compare l) ^ "]"
let errs e = match e with
  | Failure s when s = "nested" || (String.length s > 6 && String.sub s 0 6 = "Nested") -> "NESTED"
  | e -> errs e
