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
  print_string (Buffer.contents b)
