(* runtime for generated Lwt_io differential programs *)
open Lwt.Infix
let cur = ref (Buffer.create 16)
let logb b s = Buffer.add_string b s; Buffer.add_char b '\n'
let hex s = let b = Buffer.create (2*String.length s) in String.iter (fun c -> Buffer.add_string b (Printf.sprintf "%02x" (Char.code c))) s; Buffer.contents b
let hexb b = hex (Bytes.to_string b)
let hexbig bs = hex (Lwt_bytes.to_string bs)
let hexc c = Printf.sprintf "%02x" (Char.code c)
let optc = function None -> "None" | Some c -> "Some " ^ hexc c
let opts = function None -> "None" | Some s -> "Some " ^ hex s
let fbits f = Printf.sprintf "%016Lx" (Int64.bits_of_float f)
let unit_ () = "()"
exception Boom
let exn_str = function
  | End_of_file -> "EOF"
  | Lwt_io.Channel_closed s -> "CLOSED(" ^ s ^ ")"
  | Invalid_argument _ -> "INVARG"
  | Failure _ -> "FAIL"
  | Lwt.Canceled -> "CANCELED"
  | Boom -> "BOOM"
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
let finish () =
  let b = !cur in
  pause_n 10 >>= fun () ->
  List.iter (fun (l,p) -> if Lwt.is_sleeping p then logb b (l ^ " PENDING")) (List.rev !spawned);
  spawned := []; Lwt.return_unit

let mk_in ~bufsize ~data ~script ~async ~seek =
  let b = !cur in
  let pos = ref 0 and k = ref 0 in
  let read buf ofs len =
    let go () =
      let want = script.(!k mod Array.length script) in incr k;
      let n = max 0 (min (min want len) (String.length data - !pos)) in
      Lwt_bytes.blit_from_string data !pos buf ofs n; pos := !pos + n;
      logb b (Printf.sprintf "  R%d=%d" len n); Lwt.return n in
    if async then Lwt.pause () >>= go else go () in
  let seekf p cmd =
    let r = match cmd with
      | Unix.SEEK_SET -> pos := Int64.to_int p; p
      | Unix.SEEK_END -> Int64.of_int (String.length data)
      | Unix.SEEK_CUR -> pos := !pos + Int64.to_int p; Int64.of_int !pos in
    logb b (Printf.sprintf "  SEEK %Ld %s" p (match cmd with Unix.SEEK_SET -> "set" | Unix.SEEK_END -> "end" | _ -> "cur"));
    Lwt.return r in
  let close () = logb b "  CLOSEFN"; Lwt.return_unit in
  let buffer = Lwt_bytes.create bufsize in
  if seek then Lwt_io.make ~buffer ~close ~seek:seekf ~mode:Lwt_io.input read
  else Lwt_io.make ~buffer ~close ~mode:Lwt_io.input read

let mk_out ~bufsize ~script ~async ~seek =
  let b = !cur in
  let file = ref Bytes.empty and fpos = ref 0 and k = ref 0 in
  let write buf ofs len =
    let go () =
      let want = script.(!k mod Array.length script) in incr k;
      let n = min want len in
      let need = !fpos + n in
      if need > Bytes.length !file then begin
        let nf = Bytes.make need '\000' in Bytes.blit !file 0 nf 0 (Bytes.length !file); file := nf end;
      Lwt_bytes.blit_to_bytes buf ofs !file !fpos n; fpos := !fpos + n;
      logb b (Printf.sprintf "  W%d=%d" len n); Lwt.return n in
    if async then Lwt.pause () >>= go else go () in
  let seekf p cmd =
    let r = match cmd with
      | Unix.SEEK_SET -> fpos := Int64.to_int p; p
      | Unix.SEEK_END -> Int64.of_int (Bytes.length !file)
      | Unix.SEEK_CUR -> fpos := !fpos + Int64.to_int p; Int64.of_int !fpos in
    logb b (Printf.sprintf "  SEEK %Ld %s" p (match cmd with Unix.SEEK_SET -> "set" | Unix.SEEK_END -> "end" | _ -> "cur"));
    Lwt.return r in
  let close () = logb b "  CLOSEFN"; Lwt.return_unit in
  let buffer = Lwt_bytes.create bufsize in
  let ch = if seek then Lwt_io.make ~buffer ~close ~seek:seekf ~mode:Lwt_io.output write
    else Lwt_io.make ~buffer ~close ~mode:Lwt_io.output write in
  (ch, fun () -> hexb !file)

let state ch =
  Printf.sprintf "END pos=%Ld buffered=%d closed=%b busy=%s" (Lwt_io.position ch) (Lwt_io.buffered ch)
    (Lwt_io.is_closed ch) (try string_of_bool (Lwt_io.is_busy ch) with e -> exn_str e)

let run_prog n (f : unit -> unit Lwt.t) =
  cur := Buffer.create 256;
  let b = !cur in
  (try Lwt_main.run (f ()) with e -> logb b ("RUNEXN " ^ exn_str e));
  print_string ("=== " ^ string_of_int n ^ "\n");
  print_string (Buffer.contents b); flush stdout

(* family "faults" (gen.py): backends driven by a script of actions, one per call: a count
   (clamped to what is asked and, for reads, to the data left), "R" raise at the call, "F" a
   rejected promise, "P" rejected after a pause, "N" the count -1, "O" the count asked + 1,
   "W"/"T" a pending promise (Lwt.wait / Lwt.task) the program resolves or rejects later
   (bres/brej, oldest first). Spawned operations are kept in slots the program can cancel. *)
type pend = { pid : int; pp : int Lwt.t; pw : int Lwt.u; pgo : int -> int }
let pends : pend Queue.t = Queue.create ()
let npend = ref 0
let slots : (int, string Lwt.t) Hashtbl.t = Hashtbl.create 8
let reset_faults () = Queue.clear pends; npend := 0; Hashtbl.reset slots
let pstate p = match Lwt.state p with
  | Lwt.Sleep -> "pending" | Lwt.Return _ -> "fulfilled" | Lwt.Fail e -> "rejected " ^ exn_str e
let fault_call b kind len (go : int -> int) act =
  let tag s = logb b (Printf.sprintf "  %s%d=%s" kind len s); logb b ("  bk " ^ s) in
  match act with
  | "R" -> tag "RAISE"; raise Boom
  | "F" -> tag "FAIL"; Lwt.fail Boom
  | "P" -> tag "LATEFAIL"; Lwt.pause () >>= fun () -> logb b "  bk latefail now"; Lwt.fail Boom
  | "N" -> tag "NEG"; Lwt.return (-1)
  | "O" -> tag "OVER"; Lwt.return (len + 1)
  | "W" | "T" ->
    let (p, w) = if act = "W" then Lwt.wait () else Lwt.task () in
    incr npend;
    tag (Printf.sprintf "%s#%d" act !npend);
    Queue.push { pid = !npend; pp = p; pw = w; pgo = go } pends; p
  | n -> let k = go (int_of_string n) in logb b (Printf.sprintf "  %s%d=%d" kind len k); Lwt.return k
let bres n =
  let b = !cur in
  match Queue.take_opt pends with
  | None -> logb b "bres none"
  | Some pd ->
    if Lwt.is_sleeping pd.pp then begin
      let k = pd.pgo n in logb b (Printf.sprintf "bres #%d %d" pd.pid k); Lwt.wakeup pd.pw k end
    else logb b (Printf.sprintf "bres #%d %s" pd.pid (pstate pd.pp))
let brej () =
  let b = !cur in
  match Queue.take_opt pends with
  | None -> logb b "brej none"
  | Some pd ->
    if Lwt.is_sleeping pd.pp then begin logb b (Printf.sprintf "brej #%d" pd.pid); Lwt.wakeup_exn pd.pw Boom end
    else logb b (Printf.sprintf "brej #%d %s" pd.pid (pstate pd.pp))
let slot k label (f : unit -> string Lwt.t) =
  let b = !cur in
  match f () with
  | exception e -> logb b (label ^ " SYNC " ^ exn_str e)
  | p -> Hashtbl.replace slots k p; spawn label (fun () -> p)
let cancel_slot k =
  let b = !cur in
  match Hashtbl.find_opt slots k with
  | None -> logb b (Printf.sprintf "cancel %d none" k)
  | Some p -> logb b (Printf.sprintf "cancel %d (%s)" k (pstate p)); Lwt.cancel p

let mk_fin ~bufsize ~data ~script =
  let b = !cur in
  let pos = ref 0 and k = ref 0 in
  let read buf ofs len =
    let act = script.(!k mod Array.length script) in incr k;
    let go want =
      let n = max 0 (min (min want len) (String.length data - !pos)) in
      Lwt_bytes.blit_from_string data !pos buf ofs n; pos := !pos + n; n in
    fault_call b "R" len go act in
  let close () = logb b "  CLOSEFN"; Lwt.return_unit in
  Lwt_io.make ~buffer:(Lwt_bytes.create bufsize) ~close ~mode:Lwt_io.input read

let mk_fout ~bufsize ~script ~closefail =
  let b = !cur in
  let file = Buffer.create 16 and k = ref 0 in
  let write buf ofs len =
    let act = script.(!k mod Array.length script) in incr k;
    let go want =
      let n = max 0 (min want len) in
      Buffer.add_string file (Lwt_bytes.to_string (Lwt_bytes.proxy buf ofs n)); n in
    fault_call b "W" len go act in
  let close () = logb b "  CLOSEFN"; if closefail then Lwt.fail Boom else Lwt.return_unit in
  let ch = Lwt_io.make ~buffer:(Lwt_bytes.create bufsize) ~close ~mode:Lwt_io.output write in
  (ch, fun () -> hex (Buffer.contents file))

(* family "faults2" (gen.py): the faults backends, whose pending promises (W/T) a step resolves
   with Lwt.wakeup (bres) or Lwt.wakeup_later (bresl), also from inside the callbacks of an
   operation's end (on_slot); seek functions following a script of their own (a correct answer;
   R, F, P, W, T as for reads and writes; N the offset -1; X a wrong offset, the correct one + 7);
   resize_buffer, block, direct_access with functions that raise or fail, streams. *)
type pend2 = { qid : int; qsleep : unit -> bool; qst : unit -> string;
               qgo : int -> string * (bool -> unit); qrej : bool -> unit }
let pends2 : pend2 Queue.t = Queue.create ()
let mkpend2 act (go : int -> 'a) (to_s : 'a -> string) : 'a Lwt.t * string =
  let (p, w) = if act = "W" then Lwt.wait () else Lwt.task () in
  incr npend;
  let id = !npend in
  Queue.push { qid = id; qsleep = (fun () -> Lwt.is_sleeping p); qst = (fun () -> pstate p);
               qgo = (fun n -> let v = go n in (to_s v, fun later -> if later then Lwt.wakeup_later w v else Lwt.wakeup w v));
               qrej = (fun later -> if later then Lwt.wakeup_later_exn w Boom else Lwt.wakeup_exn w Boom) } pends2;
  (p, Printf.sprintf "%s#%d" act id)
let bres2 n later =
  let b = !cur in
  let tg = if later then "bresl" else "bres" in
  match Queue.take_opt pends2 with
  | None -> logb b (tg ^ " none")
  | Some q ->
    if q.qsleep () then begin
      let (s, wake) = q.qgo n in logb b (Printf.sprintf "%s #%d %s" tg q.qid s); wake later end
    else logb b (Printf.sprintf "%s #%d %s" tg q.qid (q.qst ()))
let brej2 later =
  let b = !cur in
  let tg = if later then "brejl" else "brej" in
  match Queue.take_opt pends2 with
  | None -> logb b (tg ^ " none")
  | Some q ->
    if q.qsleep () then begin logb b (Printf.sprintf "%s #%d" tg q.qid); q.qrej later end
    else logb b (Printf.sprintf "%s #%d %s" tg q.qid (q.qst ()))
(* on_slot attaches to the promise of the slot's printing (show), not to the operation's, so
   its callback runs after the slot's result line in both (callbacks of one promise run in
   another order: README's known difference 1) *)
let shows : (int, string Lwt.t * unit Lwt.t) Hashtbl.t = Hashtbl.create 8
let slot2 k label (f : unit -> string Lwt.t) =
  let b = !cur in
  match f () with
  | exception e -> logb b (label ^ " SYNC " ^ exn_str e)
  | p -> Hashtbl.replace slots k p;
    let sp = show label (fun () -> p) in
    Hashtbl.replace shows k (p, sp);
    if Lwt.is_sleeping sp then spawned := (label, sp) :: !spawned
let reset_faults2 () = reset_faults (); Queue.clear pends2; Hashtbl.reset shows
let on_slot k (f : unit -> unit) =
  let b = !cur in
  match Hashtbl.find_opt shows k with
  | None -> logb b (Printf.sprintf "on %d none" k)
  | Some (p, sp) -> Lwt.on_termination sp (fun () -> logb b (Printf.sprintf "on %d (%s)" k (pstate p)); f ())
let fault_call2 b kind len (go : int -> int) act =
  match act with
  | "W" | "T" ->
    let (p, s) = mkpend2 act go string_of_int in
    logb b (Printf.sprintf "  %s%d=%s" kind len s); logb b ("  bk " ^ s); p
  | _ -> fault_call b kind len go act
let seek_call b script k (ok : int64 -> Unix.seek_command -> int64) p cmd =
  let act = script.(!k mod Array.length script) in incr k;
  let cs = match cmd with Unix.SEEK_SET -> "set" | Unix.SEEK_END -> "end" | _ -> "cur" in
  let tag s = logb b (Printf.sprintf "  SEEK %Ld %s=%s" p cs s) in
  match act with
  | "R" -> tag "RAISE"; raise Boom
  | "F" -> tag "FAIL"; Lwt.fail Boom
  | "P" -> tag "LATEFAIL"; Lwt.pause () >>= fun () -> logb b "  bk latefail now"; Lwt.fail Boom
  | "N" -> tag "NEG"; Lwt.return (-1L)
  | "X" -> let r = ok p cmd in tag ("ODD " ^ Int64.to_string r); Lwt.return (Int64.add r 7L)
  | "W" | "T" -> let (pr, s) = mkpend2 act (fun _ -> ok p cmd) Int64.to_string in tag s; pr
  | _ -> let r = ok p cmd in tag (Int64.to_string r); Lwt.return r
let mk_fin2 ~bufsize ~data ~script ~seekscript =
  let b = !cur in
  let pos = ref 0 and k = ref 0 and ks = ref 0 in
  let read buf ofs len =
    let act = script.(!k mod Array.length script) in incr k;
    let go want =
      let n = max 0 (min (min want len) (String.length data - !pos)) in
      Lwt_bytes.blit_from_string data !pos buf ofs n; pos := !pos + n; n in
    fault_call2 b "R" len go act in
  let ok p = function
    | Unix.SEEK_SET -> pos := max 0 (min (String.length data) (Int64.to_int p)); Int64.of_int !pos
    | Unix.SEEK_END -> Int64.of_int (String.length data)
    | Unix.SEEK_CUR -> pos := max 0 (min (String.length data) (!pos + Int64.to_int p)); Int64.of_int !pos in
  let close () = logb b "  CLOSEFN"; Lwt.return_unit in
  let buffer = Lwt_bytes.create bufsize in
  if Array.length seekscript = 0 then Lwt_io.make ~buffer ~close ~mode:Lwt_io.input read
  else Lwt_io.make ~buffer ~close ~seek:(seek_call b seekscript ks ok) ~mode:Lwt_io.input read
let mk_fout2 ~bufsize ~script ~seekscript ~closefail =
  let b = !cur in
  let file = ref Bytes.empty and fpos = ref 0 and k = ref 0 and ks = ref 0 in
  let write buf ofs len =
    let act = script.(!k mod Array.length script) in incr k;
    let go want =
      let n = max 0 (min want len) in
      let need = !fpos + n in
      if need > Bytes.length !file then begin
        let nf = Bytes.make need '\000' in Bytes.blit !file 0 nf 0 (Bytes.length !file); file := nf end;
      Lwt_bytes.blit_to_bytes buf ofs !file !fpos n; fpos := !fpos + n; n in
    fault_call2 b "W" len go act in
  let ok p = function
    | Unix.SEEK_SET -> fpos := max 0 (Int64.to_int p); Int64.of_int !fpos
    | Unix.SEEK_END -> Int64.of_int (Bytes.length !file)
    | Unix.SEEK_CUR -> fpos := max 0 (!fpos + Int64.to_int p); Int64.of_int !fpos in
  let close () = logb b "  CLOSEFN"; if closefail then Lwt.fail Boom else Lwt.return_unit in
  let buffer = Lwt_bytes.create bufsize in
  let ch = if Array.length seekscript = 0 then Lwt_io.make ~buffer ~close ~mode:Lwt_io.output write
    else Lwt_io.make ~buffer ~close ~seek:(seek_call b seekscript ks ok) ~mode:Lwt_io.output write in
  (ch, fun () -> hexb !file)
(* a stream of [n] copies of [x], then: "end", "fail" (Boom), "pend" (a next never answered) *)
let fstream n x tail =
  let k = ref 0 in
  Lwt_stream.from (fun () ->
    incr k;
    if !k <= n then Lwt.pause () >|= fun () -> Some x
    else match tail with "fail" -> Lwt.fail Boom | "pend" -> fst (Lwt.wait ()) | _ -> Lwt.return None)
let da_in2 c k mode =
  Lwt_io.direct_access c (fun da ->
    if mode = 2 then raise Boom;
    (if mode = 1 || mode = 3 then da.Lwt_io.da_perform () >|= string_of_int else Lwt.return "-") >>= fun r ->
    if mode = 3 then Lwt.fail Boom else
    let k = min k (da.Lwt_io.da_max - da.Lwt_io.da_ptr) in
    let s = hexbig (Lwt_bytes.proxy da.Lwt_io.da_buffer da.Lwt_io.da_ptr k) in
    da.Lwt_io.da_ptr <- da.Lwt_io.da_ptr + k; Lwt.return (r ^ " " ^ s))
let da_out2 c s mode =
  Lwt_io.direct_access c (fun da ->
    if mode = 2 then raise Boom;
    (if mode = 1 || mode = 3 then da.Lwt_io.da_perform () >|= string_of_int else Lwt.return "-") >>= fun r ->
    if mode = 3 then Lwt.fail Boom else
    let k = min (String.length s) (da.Lwt_io.da_max - da.Lwt_io.da_ptr) in
    Lwt_bytes.blit_from_string s 0 da.Lwt_io.da_buffer da.Lwt_io.da_ptr k;
    da.Lwt_io.da_ptr <- da.Lwt_io.da_ptr + k; Lwt.return (r ^ " " ^ string_of_int k))
(* block's function: 0 gives the bytes (input: reads them; output: writes s), 1 raises, 2 a
   rejected promise, 3 the same after a pause *)
let block2 c n s mode inp =
  Lwt_io.block c n (fun buf ofs ->
    (* an output block's function that fails first zeroes the block: lwt_io.ml counts the
       block as written whatever the function does, and Lwt_bytes.create leaves the buffer's
       bytes uninitialised *)
    if mode <> 0 && not inp then Lwt_bytes.fill buf ofs n '\000';
    match mode with
    | 1 -> raise Boom
    | 2 -> Lwt.fail Boom
    | 3 -> Lwt.pause () >>= fun () -> Lwt.fail Boom
    | _ -> if inp then Lwt.return (hexbig (Lwt_bytes.proxy buf ofs n))
           else (Lwt_bytes.blit_from_string s 0 buf ofs n; Lwt.return "()"))
