(* Differential test runtime, area sockproc (see ../README.md): Lwt_unix sockets and Lwt_process.
   Each program prints "P<n>" then one "  <label> -> <result>" line per step. *)
open Lwt.Infix
(* .NET does not die of SIGPIPE (a write gets EPIPE); a handler (not Signal_ignore) does the same here
   and still lets the children start with the default action, as ours do (POSIX_SPAWN_SETSIGDEF). *)
let () = Sys.set_signal Sys.sigpipe (Sys.Signal_handle (fun _ -> ()))

let esc s = String.concat "" (List.map (fun c ->
  if c >= ' ' && c <= '~' && c <> '\\' && c <> '"' then String.make 1 c
  else Printf.sprintf "\\x%02x" (Char.code c)) (List.of_seq (String.to_seq s)))
let q s = "\"" ^ esc s ^ "\""
let ql l = "[" ^ String.concat ";" (List.map q l) ^ "]"

let errs = function
  | Unix.Unix_error (e, fn, arg) -> Printf.sprintf "ERR(%s,%s,%s)" (Unix.error_message e) fn arg
  | Invalid_argument _ -> "Invalid_argument"
  | End_of_file -> "End_of_file"
  | Lwt.Canceled -> "Canceled"
  | Lwt_io.Channel_closed _ -> "Channel_closed"
  | Failure s -> "Failure " ^ s
  | e -> "EXN " ^ Printexc.to_string e

let guard = 0.3     (* a step still pending after this long prints BLOCKED (it keeps running, in slot 3) *)
let pguard = 8.0    (* the same for process steps *)
let v6 = ref false  (* set by fam6 (below) *)
let fds : Lwt_unix.file_descr option array = Array.make 5 None
let pend : string Lwt.t option array = Array.make 4 None

let pstate p = match Lwt.state p with
  | Lwt.Sleep -> "pending"
  | Lwt.Return s -> "done " ^ s
  | Lwt.Fail e -> "failed " ^ errs e

let apply f = try f () with e -> Lwt.fail e

let guarded g f =
  let p = apply f in
  let c = Lwt.catch (fun () -> p) (fun e -> Lwt.return (errs e)) in
  Lwt.choose [c; (Lwt_unix.sleep g >|= fun () -> "BLOCKED")] >|= fun r ->
  if r = "BLOCKED" && Lwt.state c = Lwt.Sleep then pend.(3) <- Some p;
  r

let step name f = guarded guard f >|= fun r -> Printf.printf "  %s -> %s\n%!" name r
let pstep name f = guarded pguard f >|= fun r -> Printf.printf "  %s -> %s\n%!" name r

let start i =
  Printf.printf "P%d\n%!" i;
  Array.fill fds 0 5 None;
  Array.fill pend 0 4 None;
  v6 := false;
  Lwt.return_unit

let finish () =
  Array.iter (function Some p -> Lwt.cancel p | None -> ()) pend;
  Lwt_list.iter_s (function
    | Some fd when Lwt_unix.state fd <> Lwt_unix.Closed -> Lwt.catch (fun () -> Lwt_unix.close fd) (fun _ -> Lwt.return_unit)
    | _ -> Lwt.return_unit) (Array.to_list fds)

let withfd i f = match fds.(i) with None -> Lwt.return "nofd" | Some fd -> f fd
let ok _ = "ok"

(* ---- addresses: a socket's own address is named by the slot that has it *)
let addr_s a =
  let slot = ref None in
  Array.iteri (fun i o -> match o, !slot with
    | Some fd, None -> (try if Lwt_unix.getsockname fd = a then slot := Some i with _ -> ())
    | _ -> ()) fds;
  match a, !slot with
  | Unix.ADDR_UNIX s, _ -> "unix:" ^ q s
  | Unix.ADDR_INET _, Some i -> Printf.sprintf "slot%d" i
  | Unix.ADDR_INET (h, p), None -> Printf.sprintf "inet:%s:%s" (Unix.string_of_inet_addr h) (if p = 0 then "0" else "port")

(* ---- sockets *)
let pair a b dgram () =
  let x, y = Lwt_unix.socketpair Unix.PF_UNIX (if dgram then Unix.SOCK_DGRAM else Unix.SOCK_STREAM) 0 in
  fds.(a) <- Some x; fds.(b) <- Some y; Lwt.return "ok"
(* families v6 and accerr: "fam6" makes the program's TCP and UDP sockets IPv6 ones on ::1 *)
let dom () = if !v6 then Unix.PF_INET6 else Unix.PF_INET
let loop0' () = Unix.ADDR_INET ((if !v6 then Unix.inet6_addr_loopback else Unix.inet_addr_loopback), 0)
let fam6 () = v6 := true; Lwt.return "ok"
let loop0 = Unix.ADDR_INET (Unix.inet_addr_loopback, 0)
let listener l () =
  let ls = Lwt_unix.socket (dom ()) Unix.SOCK_STREAM 0 in
  fds.(l) <- Some ls;
  Lwt_unix.setsockopt ls Unix.SO_REUSEADDR true;
  Lwt_unix.bind ls (loop0' ()) >>= fun () ->
  Lwt_unix.listen ls 5; Lwt.return "ok"
(* a bound TCP socket that does not listen (accept: EINVAL); "listen" makes it listen later *)
let plain l () =
  let ls = Lwt_unix.socket (dom ()) Unix.SOCK_STREAM 0 in
  fds.(l) <- Some ls;
  Lwt_unix.bind ls (loop0' ()) >|= ok
let listen l () = withfd l (fun ls -> Lwt_unix.listen ls 5; Lwt.return "ok")
let connect a l () = withfd l (fun ls ->
  let c = Lwt_unix.socket (dom ()) Unix.SOCK_STREAM 0 in
  fds.(a) <- Some c;
  Lwt_unix.connect c (Lwt_unix.getsockname ls) >|= ok)
let accept b l () = withfd l (fun ls -> Lwt_unix.accept ls >|= fun (s, addr) -> fds.(b) <- Some s; "from " ^ addr_s addr)
(* accept_n: the first connection goes to slot b, the others are closed at once *)
let accept_n b l n () = withfd l (fun ls -> Lwt_unix.accept_n ls n >|= fun (cs, e) ->
  let names = List.map (fun (_, a) -> "from " ^ addr_s a) cs in
  List.iteri (fun k (s, _) -> if k = 0 then fds.(b) <- Some s else Unix.close (Lwt_unix.unix_file_descr s)) cs;
  Printf.sprintf "n=%d [%s] err=%s" (List.length cs) (String.concat ";" names) (match e with None -> "None" | Some e -> errs e))
let tcp a b l () =
  listener l () >>= fun _ -> let cp = connect a l () in accept b l () >>= fun r -> cp >|= fun c -> c ^ " " ^ r
let refused a () =
  let t = Lwt_unix.socket (dom ()) Unix.SOCK_STREAM 0 in
  Lwt_unix.bind t (loop0' ()) >>= fun () ->
  let addr = Lwt_unix.getsockname t in
  Lwt_unix.close t >>= fun () ->
  let c = Lwt_unix.socket (dom ()) Unix.SOCK_STREAM 0 in
  fds.(a) <- Some c;
  Lwt_unix.connect c addr >|= ok
let udp a b () =
  let x = Lwt_unix.socket (dom ()) Unix.SOCK_DGRAM 0 and y = Lwt_unix.socket (dom ()) Unix.SOCK_DGRAM 0 in
  fds.(a) <- Some x; fds.(b) <- Some y;
  Lwt_unix.bind x (loop0' ()) >>= fun () -> Lwt_unix.bind y (loop0' ()) >|= ok

let big = String.make 300000 'z'
let text s = if s = "BIG" then big else s
let read i n () = withfd i (fun fd -> let b = Bytes.make n '.' in
  Lwt_unix.read fd b 0 n >|= fun k -> Printf.sprintf "%d %s" k (q (Bytes.sub_string b 0 (min k 40))))
let read_bad i o n () = withfd i (fun fd -> let b = Bytes.make 4 '.' in Lwt_unix.read fd b o n >|= string_of_int)
let write i s () = withfd i (fun fd -> let s = text s in Lwt_unix.write_string fd s 0 (String.length s) >|= string_of_int)
let recv i n peek () = withfd i (fun fd -> let b = Bytes.make n '.' in
  Lwt_unix.recv fd b 0 n (if peek then [Unix.MSG_PEEK] else []) >|= fun k -> Printf.sprintf "%d %s" k (q (Bytes.sub_string b 0 (min k 40))))
let send i s () = withfd i (fun fd -> let s = Bytes.of_string (text s) in Lwt_unix.send fd s 0 (Bytes.length s) [] >|= string_of_int)
let recvfrom i n () = withfd i (fun fd -> let b = Bytes.make n '.' in
  Lwt_unix.recvfrom fd b 0 n [] >|= fun (k, a) -> Printf.sprintf "%d %s %s" k (q (Bytes.sub_string b 0 (min k 40))) (addr_s a))
let sendto i j s () = withfd i (fun fd -> withfd j (fun fd2 -> let s = Bytes.of_string s in
  Lwt_unix.sendto fd s 0 (Bytes.length s) [] (Lwt_unix.getsockname fd2) >|= string_of_int))
let readv i ns () = withfd i (fun fd ->
  let iov = Lwt_unix.IO_vectors.create () in
  let bs = List.map (fun n -> Bytes.make n '.') ns in
  List.iter (fun b -> Lwt_unix.IO_vectors.append_bytes iov b 0 (Bytes.length b)) bs;
  Lwt_unix.readv fd iov >|= fun k -> Printf.sprintf "%d %s" k (ql (List.map Bytes.to_string bs)))
let writev i ss () = withfd i (fun fd ->
  let iov = Lwt_unix.IO_vectors.create () in
  List.iter (fun s -> Lwt_unix.IO_vectors.append_bytes iov (Bytes.of_string s) 0 (String.length s)) ss;
  Lwt_unix.writev fd iov >|= string_of_int)
let recv_msg i ns () = withfd i (fun fd ->
  let iov = Lwt_unix.IO_vectors.create () in
  let bs = List.map (fun n -> Bytes.make n '.') ns in
  List.iter (fun b -> Lwt_unix.IO_vectors.append_bytes iov b 0 (Bytes.length b)) bs;
  Lwt_unix.recv_msg ~socket:fd ~io_vectors:iov >>= fun (k, got) ->
  (* the received descriptors are read and closed synchronously (a pipe holding 3 bytes), so that
     the promise resolves when recv_msg does *)
  let fl = List.map (fun u -> let b = Bytes.make 8 '.' in let n = Unix.read u b 0 8 in Unix.close u; Bytes.sub_string b 0 n) got in
  Lwt.return (  Printf.sprintf "%d %s fds=%s" k (ql (List.map Bytes.to_string bs)) (ql fl)))
let send_msg i ss nfd () = withfd i (fun fd ->
  let iov = Lwt_unix.IO_vectors.create () in
  List.iter (fun s -> Lwt_unix.IO_vectors.append_bytes iov (Bytes.of_string s) 0 (String.length s)) ss;
  (* pipes holding "fdK", made synchronously (Lwt_unix.close is a job: it would delay the call) *)
  let rs = List.init nfd (fun k -> let r, w = Unix.pipe ~cloexec:true () in
    ignore (Unix.write_substring w ("fd" ^ string_of_int (k + 1)) 0 3); Unix.close w; r) in
  let p = apply (fun () -> Lwt_unix.send_msg ~socket:fd ~io_vectors:iov ~fds:rs) in
  Lwt.on_termination p (fun () -> List.iter Unix.close rs);
  p >|= string_of_int)
let shutdown i c () = withfd i (fun fd -> Lwt_unix.shutdown fd c; Lwt.return "ok")
(* Lwt_unix.close is a job (the loop turns before it resolves), ours closes at once: a pause after it
   lets both loops see what the close caused (a peer's RST) before the next step *)
let close i () = withfd i (fun fd -> Lwt_unix.close fd >>= Lwt.pause >|= ok)
let abort i () = withfd i (fun fd -> Lwt_unix.abort fd (Failure "ab"); Lwt.return "ok")
let wait_read i () = withfd i (fun fd -> Lwt_unix.wait_read fd >|= ok)
let wait_write i () = withfd i (fun fd -> Lwt_unix.wait_write fd >|= ok)
let readable i () = withfd i (fun fd -> Lwt.return (string_of_bool (Lwt_unix.readable fd)))
let writable i () = withfd i (fun fd -> Lwt.return (string_of_bool (Lwt_unix.writable fd)))
let blocking i () = withfd i (fun fd -> Lwt_unix.blocking fd >|= string_of_bool)
let set_blocking i b () = withfd i (fun fd -> Lwt_unix.set_blocking fd b; Lwt.return "ok")
let getsockname i () = withfd i (fun fd -> Lwt.return (addr_s (Lwt_unix.getsockname fd)))
let getpeername i () = withfd i (fun fd -> Lwt.return (addr_s (Lwt_unix.getpeername fd)))
let getb i o () = withfd i (fun fd -> Lwt.return (string_of_bool (Lwt_unix.getsockopt fd o)))
let setb i o v () = withfd i (fun fd -> Lwt_unix.setsockopt fd o v; Lwt.return "ok")
let geti i o () = withfd i (fun fd -> Lwt.return (string_of_int (Lwt_unix.getsockopt_int fd o)))
let seti i o v () = withfd i (fun fd -> Lwt_unix.setsockopt_int fd o v; Lwt.return "ok")
let getl i () = withfd i (fun fd -> Lwt.return (match Lwt_unix.getsockopt_optint fd Unix.SO_LINGER with None -> "None" | Some n -> "Some " ^ string_of_int n))
let setl i v () = withfd i (fun fd -> Lwt_unix.setsockopt_optint fd Unix.SO_LINGER v; Lwt.return "ok")
let getf i o () = withfd i (fun fd -> Lwt.return (Printf.sprintf "%.2f" (Lwt_unix.getsockopt_float fd o)))
let setf i o v () = withfd i (fun fd -> Lwt_unix.setsockopt_float fd o v; Lwt.return "ok")
let sockerr i () = withfd i (fun fd -> Lwt.return (match Lwt_unix.getsockopt_error fd with None -> "None" | Some e -> Unix.error_message e))

(* ---- background promises: slots 0-2 by bg, slot 3 the last BLOCKED step *)
let bg k name f =
  let p = apply f in
  pend.(k) <- Some p;
  Printf.printf "  bg %d %s -> %s\n%!" k name (pstate p);
  Lwt.return_unit
(* the same without the state: a blocking descriptor's call is a job, which may or may not be over
   when Lwt's start_job looks *)
let bgq k name f =
  pend.(k) <- Some (apply f);
  Printf.printf "  bg %d %s -> started\n%!" k name;
  Lwt.return_unit
let await k () = match pend.(k) with None -> Lwt.return "nobg" | Some p -> p
let cancel k () = match pend.(k) with None -> Lwt.return "nobg" | Some p -> Lwt.cancel p; Lwt.return (pstate p)
let cancelq k () = match pend.(k) with None -> Lwt.return "nobg" | Some p -> Lwt.cancel p; Lwt.return "canceled"
let states () = String.concat " " (Array.to_list (Array.mapi (fun k o -> match o with
  | None -> Printf.sprintf "%d:-" k | Some p -> Printf.sprintf "%d:%s" k (pstate p)) pend))
let settle () = Lwt_unix.sleep 0.05 >|= states

(* ---- processes *)
let signame n =
  if n = Sys.sigkill then "KILL" else if n = Sys.sigterm then "TERM" else if n = Sys.sigint then "INT"
  else if n = Sys.sighup then "HUP" else if n = Sys.sigusr1 then "USR1" else "sig" ^ string_of_int n
let status_s = function
  | Unix.WEXITED n -> Printf.sprintf "WEXITED %d" n
  | Unix.WSIGNALED n -> "WSIGNALED " ^ signame n
  | Unix.WSTOPPED n -> "WSTOPPED " ^ signame n
let state_s = function Lwt_process.Running -> "Running" | Lwt_process.Exited s -> "Exited(" ^ status_s s ^ ")"
let sh c = Lwt_process.shell c
let nosuch = ("nosuch-prog-xyz", [| "nosuch-prog-xyz"; "a" |])
(* a pipe already holding [s], its writing end closed: what a redirection of stdin reads *)
let fed s = let r, w = Unix.pipe ~cloexec:true () in
  ignore (Unix.write_substring w s 0 (String.length s)); Unix.close w; `FD_move r
let drain r = let b = Buffer.create 16 and c = Bytes.create 256 in
  let rec go () = let n = Unix.read r c 0 256 in if n = 0 then (Unix.close r; Buffer.contents b) else (Buffer.add_subbytes b c 0 n; go ()) in go ()

let exec ?timeout ?stdin ?stdout ?stderr cmd () = Lwt_process.exec ?timeout ?stdin ?stdout ?stderr cmd >|= status_s
let exec_pipe ?timeout ?stdin ?stderr cmd () =
  let r, w = Unix.pipe ~cloexec:true () in
  Lwt_process.exec ?timeout ?stdin ~stdout:(`FD_move w) ?stderr cmd >|= fun s -> status_s s ^ " " ^ q (drain r)
let pread ?timeout ?stdin ?stderr cmd () = Lwt_process.pread ?timeout ?stdin ?stderr cmd >|= q
let pread_line ?timeout ?stdin ?stderr cmd () = Lwt_process.pread_line ?timeout ?stdin ?stderr cmd >|= q
let pread_lines ?timeout ?stdin ?stderr cmd () = Lwt_stream.to_list (Lwt_process.pread_lines ?timeout ?stdin ?stderr cmd) >|= ql
let pread_chars ?timeout ?stdin ?stderr cmd () =
  Lwt_stream.to_list (Lwt_process.pread_chars ?timeout ?stdin ?stderr cmd) >|= fun l -> q (String.of_seq (List.to_seq l))
let pwrite ?timeout ?stdout ?stderr cmd s () = Lwt_process.pwrite ?timeout ?stdout ?stderr cmd s >|= ok
let pwrite_lines ?timeout ?stdout ?stderr cmd l () = Lwt_process.pwrite_lines ?timeout ?stdout ?stderr cmd (Lwt_stream.of_list l) >|= ok
let pmap ?timeout ?stderr cmd s () = Lwt_process.pmap ?timeout ?stderr cmd s >|= q
let pmap_line ?timeout ?stderr cmd s () = Lwt_process.pmap_line ?timeout ?stderr cmd s >|= q
let pmap_lines ?timeout ?stderr cmd l () = Lwt_stream.to_list (Lwt_process.pmap_lines ?timeout ?stderr cmd (Lwt_stream.of_list l)) >|= ql
let proc_in ?timeout ?stdin cmd () =
  let p = Lwt_process.open_process_in ?timeout ?stdin cmd in
  Lwt_io.read p#stdout >>= fun out -> p#close >>= fun st ->
  p#close >|= fun st2 -> Printf.sprintf "%s %s %s %s" (q out) (status_s st) (status_s st2) (state_s p#state)
let proc_out ?timeout cmd s () =
  let p = Lwt_process.open_process_out ?timeout ~stdout:`Dev_null cmd in
  Lwt_io.write p#stdin s >>= fun () -> p#close >|= fun st -> status_s st ^ " " ^ state_s p#state
let proc_full ?timeout cmd s () =
  let p = Lwt_process.open_process_full ?timeout cmd in
  Lwt_io.write p#stdin s >>= fun () -> Lwt_io.close p#stdin >>= fun () ->
  Lwt_io.read p#stdout >>= fun o -> Lwt_io.read p#stderr >>= fun e ->
  p#status >>= fun st -> p#close >|= fun st2 -> Printf.sprintf "%s %s %s %s" (q o) (q e) (status_s st) (status_s st2)
let proc_inout ?timeout cmd s () =
  let p = Lwt_process.open_process ?timeout cmd in
  Lwt_io.write p#stdin s >>= fun () -> Lwt_io.close p#stdin >>= fun () ->
  Lwt_io.read p#stdout >>= fun o -> p#close >|= fun st -> Printf.sprintf "%s %s" (q o) (status_s st)
let proc_kill sg ?(twice = false) cmd () =
  let p = Lwt_process.open_process_none ~stdin:`Dev_null cmd in
  let s0 = state_s p#state in
  p#kill sg; p#status >>= fun st ->
  if twice then p#kill sg;
  p#close >|= fun st2 -> Printf.sprintf "%s %s %s %s" s0 (status_s st) (status_s st2) (state_s p#state)
let proc_terminate cmd () =
  let p = Lwt_process.open_process_none ~stdin:`Dev_null cmd in
  p#terminate; p#status >>= fun st -> p#terminate; p#close >|= fun st2 -> Printf.sprintf "%s %s %s" (status_s st) (status_s st2) (state_s p#state)
let proc_pid cmd () =
  let p = Lwt_process.open_process_none ~stdin:`Dev_null cmd in
  let pos = p#pid > 0 in
  p#close >|= fun st -> Printf.sprintf "%b %s" pos (status_s st)
let with_in ?timeout ?stdin cmd () =
  let pr = ref None in
  Lwt_process.with_process_in ?timeout ?stdin cmd (fun p -> pr := Some p; Lwt_io.read_line p#stdout) >>= fun l ->
  (match !pr with Some p -> p#status | None -> assert false) >|= fun st -> q l ^ " " ^ status_s st
let with_out ?timeout cmd s () =
  let pr = ref None in
  Lwt_process.with_process_out ?timeout ~stdout:`Dev_null cmd (fun p -> pr := Some p; Lwt_io.write p#stdin s) >>= fun () ->
  (match !pr with Some p -> p#status | None -> assert false) >|= status_s
let with_full ?timeout cmd s () =
  Lwt_process.with_process_full ?timeout cmd (fun p ->
    Lwt_io.write p#stdin s >>= fun () -> Lwt_io.close p#stdin >>= fun () ->
    Lwt_io.read p#stdout >>= fun o -> Lwt_io.read p#stderr >>= fun e -> p#status >|= fun st -> Printf.sprintf "%s %s %s" (q o) (q e) (status_s st))
let with_fail cmd () =
  let pr = ref None in
  Lwt.catch (fun () -> Lwt_process.with_process_none ~stdin:`Dev_null cmd (fun p -> pr := Some p; Lwt.fail (Failure "inside")))
    (fun e -> (match !pr with Some p -> p#status | None -> assert false) >|= fun st -> errs e ^ " " ^ status_s st)

(* a process function canceled at once (its child sleeps first, so nothing is over yet) *)
let proc_cancel k () =
  let p = match k with
    | 0 -> Lwt_process.pread ~stdin:`Dev_null (sh "sleep 0.2; echo x")
    | 1 -> Lwt_process.pmap (sh "sleep 0.2; cat") "abc"
    | 2 -> Lwt_process.exec ~stdin:`Dev_null (sh "sleep 0.2") >|= status_s
    | 3 -> Lwt_process.pread_line ~stdin:`Dev_null (sh "sleep 0.2; echo x")
    | _ -> Lwt_process.with_process_in ~stdin:`Dev_null (sh "sleep 0.2; echo x") (fun p -> Lwt_io.read p#stdout) in
  (* no state printed right after the cancel: Lwt's cleanups close channels (a job), so its
     promises are still pending there where ours are already rejected *)
  Lwt.cancel p;
  Lwt.catch (fun () -> p) (fun e -> Lwt.return (errs e))
let pread_in ?env ?cwd cmd () = Lwt_process.pread ?env ?cwd ~stdin:`Dev_null ~stderr:`Dev_null cmd >|= q
