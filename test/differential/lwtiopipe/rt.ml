(* runtime for generated Lwt_io pipe differential programs (lwtiopipe/gen.py) *)
open Lwt.Infix
(* .NET ignores SIGPIPE; so does this side: a write to a pipe with no reader fails with EPIPE. *)
let () = Sys.set_signal Sys.sigpipe Sys.Signal_ignore
let cur = ref (Buffer.create 16)
let logb b s = Buffer.add_string b s; Buffer.add_char b '\n'
let hex s = let b = Buffer.create (2*String.length s) in String.iter (fun c -> Buffer.add_string b (Printf.sprintf "%02x" (Char.code c))) s; Buffer.contents b
let hexb b = hex (Bytes.to_string b)
let hexc c = Printf.sprintf "%02x" (Char.code c)
let optc = function None -> "None" | Some c -> "Some " ^ hexc c
let opts = function None -> "None" | Some s -> "Some " ^ hex s
let unit_ () = "()"
let exn_str = function
  | End_of_file -> "EOF"
  | Lwt_io.Channel_closed s -> "CLOSED(" ^ s ^ ")"
  | Unix.Unix_error (e, _, _) -> "UNIX(" ^ Unix.error_message e ^ ")"
  | Invalid_argument _ -> "INVARG"
  | Failure _ -> "FAIL"
  | Lwt.Canceled -> "CANCELED"
  | e -> "EXN(" ^ Printexc.to_string e ^ ")"
let show label (f : unit -> string Lwt.t) : unit Lwt.t =
  let b = !cur in
  match f () with
  | exception e -> logb b (label ^ " SYNC " ^ exn_str e); Lwt.return_unit
  | p -> Lwt.try_bind (fun () -> p)
           (fun v -> logb b (label ^ " = " ^ v); Lwt.return_unit)
           (fun e -> logb b (label ^ " ! " ^ exn_str e); Lwt.return_unit)
let spawned : (string * unit Lwt.t) list ref = ref []
let spawn label f = let p = show label f in if Lwt.is_sleeping p then spawned := (label, p) :: !spawned
let rec pause_n n = if n = 0 then Lwt.return_unit else Lwt.pause () >>= fun () -> pause_n (n-1)
(* Lets the spawned operations and the pipe settle: pauses, then a short sleep (the other end's
   data arrives through the engine), then pauses again; reports what is still pending. *)
let settle tag =
  let b = !cur in
  pause_n 5 >>= fun () -> Lwt_unix.sleep 0.002 >>= fun () -> pause_n 5 >>= fun () ->
  List.iter (fun (l,p) -> if Lwt.is_sleeping p then logb b (tag ^ " " ^ l ^ " PENDING")) (List.rev !spawned);
  Lwt.return_unit

let state name ch =
  Printf.sprintf "%s pos=%Ld buffered=%d closed=%b busy=%s" name (Lwt_io.position ch) (Lwt_io.buffered ch)
    (Lwt_io.is_closed ch) (try string_of_bool (Lwt_io.is_busy ch) with e -> exn_str e)

let pipe bufsize =
  Lwt_io.pipe ~in_buffer:(Lwt_bytes.create bufsize) ~out_buffer:(Lwt_bytes.create bufsize) ()

(* The socket mode (gen.py socket): a server on 127.0.0.1:port whose handler hands over its
   channels and waits for the program's end; the writing end is the client's output channel,
   the reading end the server's input channel. *)
let sock bufsize port =
  let addr = Unix.ADDR_INET (Unix.inet_addr_loopback, port) in
  let got, got_u = Lwt.wait () in
  let finished, finished_u = Lwt.wait () in
  Lwt_io.establish_server_with_client_address ~buffer_size:bufsize addr
    (fun _ (ic, oc) -> Lwt.wakeup got_u (ic, oc); finished) >>= fun server ->
  Lwt_io.open_connection ~in_buffer:(Lwt_bytes.create bufsize) ~out_buffer:(Lwt_bytes.create bufsize) addr >>= fun (cic, coc) ->
  got >>= fun (sic, soc) ->
  Lwt.return (server, finished_u, sic, soc, cic, coc)

(* After the steps: close the writing end (pending reads then end), read what is left, close
   the reading end. *)
let endphase ic oc =
  let b = !cur in
  settle "mid" >>= fun () ->
  logb b (state "ic" ic); logb b (state "oc" oc);
  show "end:close oc" (fun () -> Lwt_io.close oc >|= unit_) >>= fun () ->
  settle "end" >>= fun () ->
  spawned := [];
  show "end:drain" (fun () -> Lwt_io.read ic >|= hex) >>= fun () ->
  show "end:close ic" (fun () -> Lwt_io.close ic >|= unit_) >>= fun () ->
  logb b (state "ic" ic); logb b (state "oc" oc); Lwt.return_unit

let sock_end server finished_u soc cic =
  let b = !cur in
  Lwt.wakeup finished_u ();   (* the handler ends: the server closes its channels *)
  settle "sock" >>= fun () ->
  show "end:client read" (fun () -> Lwt_io.read cic >|= hex) >>= fun () ->
  logb b ("server oc closed=" ^ string_of_bool (Lwt_io.is_closed soc));
  Lwt_io.shutdown_server server

let run_prog n (f : unit -> unit Lwt.t) =
  cur := Buffer.create 256;
  spawned := [];
  let b = !cur in
  let hang = ref false in
  (try Lwt_main.run (Lwt.pick [f (); (Lwt_unix.sleep 5. >|= fun () -> hang := true; logb b "HANG")])
   with e -> logb b ("RUNEXN " ^ exn_str e));
  print_string ("=== " ^ string_of_int n ^ "\n");
  print_string (Buffer.contents b);
  (* The program's canceled steps would go on logging into the next ones: stop the run (a
     program that waits for ever is a generator bug). *)
  if !hang then (print_string "STOPPED AFTER HANG\n"; exit 3)
