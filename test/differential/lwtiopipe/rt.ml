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
(* settle_pauses: the pauses after the sleep (the cancel mode sets 300: a 64 KiB transfer
   through 16-byte buffers takes Lwt 6 loop iterations and ours 66). *)
let settle_pauses = ref 5
let settle tag =
  let b = !cur in
  pause_n 5 >>= fun () -> Lwt_unix.sleep 0.002 >>= fun () -> pause_n !settle_pauses >>= fun () ->
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

(* The server mode (gen.py server): request/response scripts against a line server. *)
let srv_addr kind idx tag =
  if kind = "unix" then begin
    let p = Printf.sprintf "%s%d.sock" tag idx in
    (try Unix.unlink p with _ -> ()); Unix.ADDR_UNIX p
  end else if kind = "tcp6" then Unix.ADDR_INET (Unix.inet6_addr_loopback, idx)
  else Unix.ADDR_INET (Unix.inet_addr_loopback, idx)
let hook_installed = ref false
let set_hook () = Lwt.async_exception_hook := (fun e -> logb !cur ("hook " ^ exn_str e))
(* The handler of connection k: answers each line "s" with "r:s"; "q" ends the handler
   (returns), "x" raises Failure, "c" closes the channels itself then returns, "n" writes its
   answer without flushing and returns. *)
let rec serve k ic oc =
  let b = !cur in
  Lwt_io.read_line_opt ic >>= function
  | None -> logb b (Printf.sprintf "h%d eof" k); Lwt.return_unit
  | Some l ->
    logb b (Printf.sprintf "h%d got %s" k l);
    match l with
    | "q" -> logb b (Printf.sprintf "h%d quit" k); Lwt.return_unit
    | "x" -> logb b (Printf.sprintf "h%d raise" k); Lwt.fail (Failure "x")
    | "c" -> Lwt_io.close oc >>= fun () -> Lwt_io.close ic >>= fun () -> logb b (Printf.sprintf "h%d closed" k); Lwt.return_unit
    | "n" -> Lwt_io.write_line oc ("r:" ^ l) >>= fun () -> logb b (Printf.sprintf "h%d noflush" k); Lwt.return_unit
    | _ -> Lwt_io.write_line oc ("r:" ^ l) >>= fun () -> Lwt_io.flush oc >>= fun () -> serve k ic oc
let nconn = ref 0
let start_server kind addr =
  nconn := 0;
  if kind = "addr" then
    Lwt_io.establish_server_with_client_address ~buffer_size:64 addr
      (fun _ (ic, oc) -> incr nconn; let k = !nconn in logb !cur (Printf.sprintf "h%d start" k); serve k ic oc)
  else
    Lwt_io.establish_server_with_client_socket addr
      (fun _ fd -> incr nconn; let k = !nconn in logb !cur (Printf.sprintf "h%d start(fd)" k);
        let ic = Lwt_io.of_fd ~mode:Lwt_io.input ~close:Lwt.return fd in
        let oc = Lwt_io.of_fd ~mode:Lwt_io.output ~close:Lwt.return fd in
        serve k ic oc >>= fun () -> Lwt_io.flush oc)
(* MODE=serveropts: the same server with ?fd/?server_fd (fdk: "none", "fresh" socket, one
   already "bound" elsewhere, a "closed" one), ?backlog (-1: not given) and ?no_close (the
   handler's channels or socket are kept in [held], closed by srv_end). A server that could not
   start is logged, and the program goes on without it. *)
let held : (unit -> unit Lwt.t) list ref = ref []
let opt_fd kind addr fdk =
  if fdk = "none" then Lwt.return (None, None) else
  let s = Lwt_unix.socket (Unix.domain_of_sockaddr addr) Unix.SOCK_STREAM 0 in
  (match fdk with
   | "bound" -> Lwt_unix.bind s (srv_addr (if kind = "unix" then "unix" else kind) 0 "other")
   | "closed" -> Lwt_unix.close s
   | _ -> Lwt.return_unit) >|= fun () -> (Some s, Some s)
let start_server_o sk kind addr fdk backlog noclose =
  nconn := 0; held := [];
  let backlog = if backlog < 0 then None else Some backlog in
  let no_close = if noclose then Some true else None in
  opt_fd kind addr fdk >>= fun (fd, sfd) ->
  let b = !cur in
  Lwt.catch (fun () ->
    (if sk = "addr" then
      Lwt_io.establish_server_with_client_address ?fd ?backlog ?no_close ~buffer_size:64 addr
        (fun _ (ic, oc) -> incr nconn; let k = !nconn in logb !cur (Printf.sprintf "h%d start" k);
          if noclose then held := (fun () -> Lwt_io.close oc >>= fun () -> Lwt_io.close ic) :: !held;
          serve k ic oc)
    else
      Lwt_io.establish_server_with_client_socket ?server_fd:sfd ?backlog ?no_close addr
        (fun _ fd -> incr nconn; let k = !nconn in logb !cur (Printf.sprintf "h%d start(fd)" k);
          if noclose then held := (fun () -> Lwt_unix.close fd) :: !held;
          let ic = Lwt_io.of_fd ~mode:Lwt_io.input ~close:Lwt.return fd in
          let oc = Lwt_io.of_fd ~mode:Lwt_io.output ~close:Lwt.return fd in
          serve k ic oc >>= fun () -> Lwt_io.flush oc)) >|= fun server -> logb b "server started"; Some server)
    (fun e -> logb b ("server failed " ^ exn_str e ^ (match fd with
       | Some s -> " fd " ^ (match Lwt_unix.state s with Lwt_unix.Opened -> "open" | Lwt_unix.Closed -> "closed" | _ -> "aborted")
       | None -> "")); Lwt.return None)
let clients : (int, Lwt_io.input_channel * Lwt_io.output_channel) Hashtbl.t = Hashtbl.create 8
let creq c (ic, oc) s =
  let b = !cur in
  Lwt_io.write_line oc s >>= fun () -> Lwt_io.flush oc >>= fun () ->
  if s = "n" then Lwt.return_unit else
  Lwt_io.read_line_opt ic >|= fun r -> logb b (Printf.sprintf "c%d %s -> %s" c s (match r with None -> "EOF" | Some r -> r))
let sreq c s = show (Printf.sprintf "req c%d %s" c s) (fun () -> creq c (Hashtbl.find clients c) s >|= unit_)
let sreq_bg c s = spawn (Printf.sprintf "req c%d %s" c s) (fun () -> creq c (Hashtbl.find clients c) s >|= unit_); Lwt.return_unit
let sopen c addr = show (Printf.sprintf "open c%d" c) (fun () -> Lwt_io.open_connection addr >|= fun ch -> Hashtbl.replace clients c ch; "()")
let sclose c = show (Printf.sprintf "close c%d" c) (fun () -> let (ic, oc) = Hashtbl.find clients c in Lwt_io.close oc >>= fun () -> Lwt_io.close ic >|= unit_)
let body c reqs fail (ic, oc) =
  Lwt_list.iter_s (fun s -> if s = "t" then Lwt_io.write_line oc s else creq c (ic, oc) s) reqs >>= fun () -> if fail then Lwt.fail (Failure "f") else Lwt.return "ok"
let swith c addr reqs fail = show (Printf.sprintf "with c%d" c) (fun () -> Lwt_io.with_connection addr (body c reqs fail))
let swithclose c addr reqs fail = show (Printf.sprintf "withclose c%d" c) (fun () ->
  Lwt_io.open_connection addr >>= fun ch -> Lwt_io.with_close_connection (body c reqs fail) ch)
let sshutdown server = show "shutdown" (fun () -> Lwt_io.shutdown_server server >|= unit_)
let srv_end server = settle "fin" >>= fun () ->
  Hashtbl.iter (fun _ (ic, oc) -> Lwt.async (fun () -> Lwt.catch (fun () -> Lwt_io.close oc >>= fun () -> Lwt_io.close ic) (fun _ -> Lwt.return_unit))) clients;
  Hashtbl.reset clients;
  settle "fin2" >>= fun () -> Lwt_io.shutdown_server server
let srv_end_o server =
  settle "fin" >>= fun () ->
  let h = List.rev !held in held := [];
  Lwt_list.iter_s (fun f -> Lwt.catch f (fun _ -> Lwt.return_unit)) h >>= fun () ->
  settle "held" >>= fun () ->
  match server with None -> settle "fin2" | Some s -> srv_end s
(* accept_n over a raw listening socket *)
let raw_listen addr =
  let s = Lwt_unix.socket (Unix.domain_of_sockaddr addr) Unix.SOCK_STREAM 0 in
  Lwt_unix.setsockopt s Unix.SO_REUSEADDR true;
  Lwt_unix.bind s addr >|= fun () -> Lwt_unix.listen s 16; s
let rawc : Lwt_unix.file_descr list ref = ref []
let raw_connect addr k = show (Printf.sprintf "connect %d" k) (fun () ->
  let rec go i = if i = 0 then Lwt.return "()" else
    let s = Lwt_unix.socket (Unix.domain_of_sockaddr addr) Unix.SOCK_STREAM 0 in
    rawc := s :: !rawc; Lwt_unix.connect s addr >>= fun () -> go (i - 1) in go k)
let accepted : Lwt_unix.file_descr list ref = ref []
let acc_n s n = fun () -> Lwt_unix.accept_n s n >|= fun (l, e) ->
  accepted := List.map fst l @ !accepted;
  Printf.sprintf "%d %s" (List.length l) (match e with None -> "none" | Some e -> exn_str e)
let raw_end s =
  List.iter (fun fd -> Lwt.async (fun () -> Lwt_unix.close fd)) (!rawc @ !accepted);
  rawc := []; accepted := [];
  Lwt_unix.close s
(* auto_pause / auto_yield: a background loop logs at each pause *)
let rec bgloop i n = if i >= n then Lwt.return_unit else (logb !cur (Printf.sprintf "bg %d" i); Lwt.pause () >>= fun () -> bgloop (i + 1) n)
let rec fgloop f i n = if i >= n then Lwt.return_unit else (logb !cur (Printf.sprintf "fg %d" i); f () >>= fun () -> fgloop f (i + 1) n)
(* MODE=cancel (gen.py's CancelProg): each spawned operation's own promise is kept in a slot
   that a later step cancels; data read is printed with runs of 6 or more bytes as [xx*n]. *)
let slots : (string, unit -> unit) Hashtbl.t = Hashtbl.create 8
let creg k p = Hashtbl.replace slots k (fun () -> Lwt.cancel p); p
let rle s =
  let b = Buffer.create 64 and n = String.length s in
  let rec go i = if i < n then begin
    let j = ref i in while !j < n && s.[!j] = s.[i] do incr j done;
    if !j - i >= 6 then (Buffer.add_string b (Printf.sprintf "[%02x*%d]" (Char.code s.[i]) (!j - i)); go !j)
    else (Buffer.add_string b (Printf.sprintf "%02x" (Char.code s.[i])); go (i + 1)) end in
  go 0; Buffer.contents b
let cancel_slot label k ic oc =
  let b = !cur in
  logb b (label ^ ":cancel " ^ k);
  (match Hashtbl.find_opt slots k with Some f -> f () | None -> logb b "  no slot");
  logb b ("  " ^ state "ic" ic); logb b ("  " ^ state "oc" oc); Lwt.return_unit
(* The end phase of a cancel program: a big write may wait for the reader, so the drain is
   spawned before the writing end is closed. *)
let endphase_c ic oc =
  let b = !cur in
  settle "mid" >>= fun () ->
  logb b (state "ic" ic); logb b (state "oc" oc);
  let d = show "end:drain" (fun () -> Lwt_io.read ic >|= rle) in
  show "end:close oc" (fun () -> Lwt_io.close oc >|= unit_) >>= fun () ->
  settle "end" >>= fun () ->
  d >>= fun () ->
  spawned := [];
  show "end:close ic" (fun () -> Lwt_io.close ic >|= unit_) >>= fun () ->
  logb b (state "ic" ic); logb b (state "oc" oc); Lwt.return_unit
(* MODE=cancelsock: a TCP connection on 127.0.0.1 made by hand (connect, then accept), each end
   a channel over its own socket (of_fd: closing the channel closes the socket), so that a step
   can shutdown(2) either socket. *)
let sockpair bufsize port =
  let addr = Unix.ADDR_INET (Unix.inet_addr_loopback, port) in
  let l = Lwt_unix.socket Unix.PF_INET Unix.SOCK_STREAM 0 in
  Lwt_unix.setsockopt l Unix.SO_REUSEADDR true;
  Lwt_unix.bind l addr >>= fun () -> Lwt_unix.listen l 4;
  let cfd = Lwt_unix.socket Unix.PF_INET Unix.SOCK_STREAM 0 in
  Lwt_unix.connect cfd addr >>= fun () ->
  Lwt_unix.accept l >>= fun (sfd, _) ->
  Lwt_unix.close l >>= fun () ->
  let ic = Lwt_io.of_fd ~buffer:(Lwt_bytes.create bufsize) ~mode:Lwt_io.input sfd in
  let oc = Lwt_io.of_fd ~buffer:(Lwt_bytes.create bufsize) ~mode:Lwt_io.output cfd in
  Lwt.return (ic, oc, sfd, cfd)
let sshut label fd how ic oc =
  let b = !cur in
  let hs = match how with Unix.SHUTDOWN_SEND -> "send" | Unix.SHUTDOWN_RECEIVE -> "receive" | Unix.SHUTDOWN_ALL -> "all" in
  (try Lwt_unix.shutdown fd how; logb b (label ^ ":shutdown " ^ hs ^ " = ()")
   with e -> logb b (label ^ ":shutdown " ^ hs ^ " ! " ^ exn_str e));
  logb b ("  " ^ state "ic" ic); logb b ("  " ^ state "oc" oc); Lwt.return_unit
(* MODE=cancelx: floats printed as their bits *)
let fb x = Printf.sprintf "%016Lx" (Int64.bits_of_float x)
