open Lwt.Infix

let root = Sys.getcwd ()
let strip s =
  let r = root in
  let lr = String.length r in
  if String.length s >= lr && String.sub s 0 lr = r then "ROOT" ^ String.sub s lr (String.length s - lr) else s

let hex b = String.concat "" (List.map (fun c -> Printf.sprintf "%02x" (Char.code c)) (List.of_seq (Bytes.to_seq b)))
let hexs s = hex (Bytes.of_string s)

let errs = function
  | Unix.Unix_error (e, fn, arg) -> Printf.sprintf "ERR(%s,%s,%s)" (Unix.error_message e) fn (strip arg)
  | Invalid_argument _ -> "Invalid_argument"
  | End_of_file -> "End_of_file"
  | Failure s -> "Failure " ^ s
  | e -> "EXN " ^ Printexc.to_string e

let step name f =
  Lwt.catch (fun () -> f ()) (fun e -> Lwt.return (errs e)) >|= fun r ->
  Printf.printf "  %s -> %s\n%!" name r

let fds : Lwt_unix.file_descr option array = Array.make 3 None
let dhs : Lwt_unix.dir_handle option array = Array.make 2 None
let buf = ref (Bytes.make 16 '.')
let strm : string Lwt_stream.t option ref = ref None
let bbuf = ref (Lwt_bytes.create 16)
let src = Bytes.of_string "0123456789ABCDEF"

let write_file p s perm =
  let fd = Unix.openfile p [Unix.O_WRONLY; Unix.O_CREAT; Unix.O_TRUNC] perm in
  ignore (Unix.write_substring fd s 0 (String.length s));
  Unix.close fd;
  Unix.chmod p perm

let start i =
  Printf.printf "P%d\n%!" i;
  let d = Printf.sprintf "%s/p%d" root i in
  Unix.mkdir d 0o755;
  Unix.chdir d;
  write_file "a" "hello\nworld\n" 0o644;
  write_file "b" "xyz" 0o600;
  write_file "x" "#!/bin/sh\n" 0o755;
  Unix.mkdir "d" 0o755; Unix.chmod "d" 0o755;
  write_file "d/f" "in d\n" 0o644;
  Unix.mkdir "e" 0o755; Unix.chmod "e" 0o755;
  Unix.symlink "a" "la";
  Unix.symlink "d" "ld";
  Unix.symlink "nosuch" "dang";
  Unix.symlink "loop" "loop";
  Array.fill fds 0 3 None;
  Array.fill dhs 0 2 None;
  strm := None;
  buf := Bytes.make 16 '.';
  bbuf := Lwt_bytes.of_string "................";
  Lwt.return_unit

let finish () =
  Array.iter (function Some fd -> (try Unix.close (Lwt_unix.unix_file_descr fd) with _ -> ()) | None -> ()) fds;
  Array.iter (function Some h -> (try Unix.closedir h with _ -> ()) | None -> ()) dhs;
  Unix.chdir root;
  Lwt.return_unit

let kind = function
  | Unix.S_REG -> "REG" | Unix.S_DIR -> "DIR" | Unix.S_LNK -> "LNK" | _ -> "OTHER"

let pstat (s : Unix.stats) =
  Printf.sprintf "%s size=%s perm=%o nlink=%d" (kind s.st_kind)
    (if s.st_kind = Unix.S_DIR then "-" else string_of_int s.st_size) s.st_perm s.st_nlink

let withfd i f = match fds.(i) with None -> Lwt.return "nofd" | Some fd -> f fd
let withdh i f = match dhs.(i) with None -> Lwt.return "nodh" | Some h -> f h
let unit_ () = "ok"
let sorted l = "[" ^ String.concat "," (List.sort compare l) ^ "]"

(* ---- ops ---- *)
let openfile i p flags perm () =
  Lwt_unix.openfile p flags perm >|= fun fd -> fds.(i) <- Some fd; "ok"
let close i () = withfd i (fun fd -> Lwt_unix.close fd >|= unit_)
let read i ofs len () = withfd i (fun fd -> Lwt_unix.read fd !buf ofs len >|= fun n -> Printf.sprintf "%d %s" n (hex !buf))
let write i ofs len () = withfd i (fun fd -> Lwt_unix.write fd src ofs len >|= string_of_int)
let write_string i s () = withfd i (fun fd -> Lwt_unix.write_string fd s 0 (String.length s) >|= string_of_int)
let pread i fo ofs len () = withfd i (fun fd -> Lwt_unix.pread fd !buf ~file_offset:fo ofs len >|= fun n -> Printf.sprintf "%d %s" n (hex !buf))
let pwrite i fo ofs len () = withfd i (fun fd -> Lwt_unix.pwrite fd src ~file_offset:fo ofs len >|= string_of_int)
let bread i ofs len () = withfd i (fun fd -> Lwt_bytes.read fd !bbuf ofs len >|= fun n -> Printf.sprintf "%d %s" n (hexs (Lwt_bytes.to_string !bbuf)))
let bwrite i ofs len () = withfd i (fun fd -> Lwt_bytes.write fd (Lwt_bytes.of_string "0123456789ABCDEF") ofs len >|= string_of_int)
let lseek i off wh () = withfd i (fun fd -> Lwt_unix.lseek fd off wh >|= string_of_int)
let truncate p n () = Lwt_unix.truncate p n >|= unit_
let ftruncate i n () = withfd i (fun fd -> Lwt_unix.ftruncate fd n >|= unit_)
let fsync i () = withfd i (fun fd -> Lwt_unix.fsync fd >|= unit_)
let fdatasync i () = withfd i (fun fd -> Lwt_unix.fdatasync fd >|= unit_)
let fstat i () = withfd i (fun fd -> Lwt_unix.fstat fd >|= pstat)
let stat p () = Lwt_unix.stat p >|= pstat
let lstat p () = Lwt_unix.lstat p >|= pstat
let file_exists p () = Lwt_unix.file_exists p >|= string_of_bool
let access p l () = Lwt_unix.access p l >|= unit_
let rename a b () = Lwt_unix.rename a b >|= unit_
let link a b () = Lwt_unix.link a b >|= unit_
let symlink a b () = Lwt_unix.symlink a b >|= unit_
let readlink p () = Lwt_unix.readlink p
let unlink p () = Lwt_unix.unlink p >|= unit_
let mkdir p perm () = Lwt_unix.mkdir p perm >|= unit_
let rmdir p () = Lwt_unix.rmdir p >|= unit_
let chmod p perm () = Lwt_unix.chmod p perm >|= unit_
let fchmod i perm () = withfd i (fun fd -> Lwt_unix.fchmod fd perm >|= unit_)
let chdir p () = Lwt_unix.chdir p >|= unit_
let getcwd () = Lwt_unix.getcwd () >|= strip
let opendir i p () = Lwt_unix.opendir p >|= fun h -> dhs.(i) <- Some h; "ok"
let readdir i () = withdh i (fun h -> Lwt_unix.readdir h)
let readdir_n i n () = withdh i (fun h -> Lwt_unix.readdir_n h n >|= fun a -> sorted (Array.to_list a))
let rewinddir i () = withdh i (fun h -> Lwt_unix.rewinddir h >|= unit_)
let closedir i () = withdh i (fun h -> Lwt_unix.closedir h >|= unit_)
let files_of_directory p () = Lwt_stream.to_list (Lwt_unix.files_of_directory p) >|= sorted
let io_read p () = Lwt_io.with_file ~mode:Lwt_io.input p Lwt_io.read >|= hexs
let io_write ?flags ?perm p s () = Lwt_io.with_file ?flags ?perm ~mode:Lwt_io.output p (fun oc -> Lwt_io.write oc s) >|= unit_
let lines_of_file p () = Lwt_stream.to_list (Lwt_io.lines_of_file p) >|= fun l -> "[" ^ String.concat "," (List.map hexs l) ^ "]"
let chars_of_file p () = Lwt_stream.to_list (Lwt_io.chars_of_file p) >|= fun l -> hexs (String.of_seq (List.to_seq l))
let lines_to_file p l () = Lwt_io.lines_to_file p (Lwt_stream.of_list l) >|= unit_
let file_length p () = Lwt_io.file_length p >|= Int64.to_string
let open_in ?flags ?perm p () = Lwt_io.open_file ?flags ?perm ~mode:Lwt_io.input p >>= fun ic -> Lwt_io.read ic >>= fun s -> Lwt_io.close ic >|= fun () -> hexs s
let open_out ?flags ?perm p s () = Lwt_io.open_file ?flags ?perm ~mode:Lwt_io.output p >>= fun oc -> Lwt_io.write oc s >>= fun () -> Lwt_io.close oc >|= unit_

(* ---- Lwt_bytes ---- *)
let bs : Lwt_bytes.t array = Array.make 3 (Lwt_bytes.create 0)
let by = ref (Bytes.make 8 '-')
let bstart i =
  Printf.printf "P%d\n%!" i;
  Array.fill bs 0 3 (Lwt_bytes.of_string "abcdefgh");
  by := Bytes.of_string "ABCDEFGH";
  Lwt.return_unit
let bshow () = Printf.sprintf "[%s|%s|%s|%s]" (hexs (Lwt_bytes.to_string bs.(0))) (hexs (Lwt_bytes.to_string bs.(1))) (hexs (Lwt_bytes.to_string bs.(2))) (hex !by)
let bstep name f = step name (fun () -> let r = f () in Lwt.return (r ^ " " ^ bshow ()))

let dup i j () = withfd i (fun fd -> fds.(j) <- Some (Lwt_unix.dup fd); Lwt.return "ok")
let dup2 i j () = withfd i (fun fd -> withfd j (fun fd2 -> Lwt_unix.dup2 fd fd2; Lwt.return "ok"))
let abort i () = withfd i (fun fd -> Lwt_unix.abort fd (Failure "ab"); Lwt.return "ok")
let blocking i () = withfd i (fun fd -> Lwt_unix.blocking fd >|= string_of_bool)
let set_blocking i b () = withfd i (fun fd -> Lwt_unix.set_blocking fd b; Lwt.return "ok")
let isatty i () = withfd i (fun fd -> Lwt_unix.isatty fd >|= string_of_bool)
let lockf i c n () = withfd i (fun fd -> Lwt_unix.lockf fd c n >|= unit_)
let utimes p a m () = Lwt_unix.utimes p a m >|= unit_
let set_cloexec i () = withfd i (fun fd -> Lwt_unix.set_close_on_exec fd; Lwt.return "ok")
let mkstream k p () =
  strm := Some (match k with
    | 0 -> Lwt_io.lines_of_file p
    | 1 -> Lwt_unix.files_of_directory p
    | _ -> Lwt_stream.map (String.make 1) (Lwt_io.chars_of_file p));
  Lwt.return "ok"
let sget () = match !strm with None -> Lwt.return "nostream" | Some s -> Lwt_stream.get s >|= (function None -> "None" | Some x -> "Some " ^ hexs x)
let sall () = match !strm with None -> Lwt.return "nostream" | Some s -> Lwt_stream.to_list s >|= sorted
(* Lwt 5.6.1 lwt_io.ml delete_recursively (not exported; with_temp_dir uses it), non-Windows branch *)
let rec delete_recursively directory =
  Lwt_unix.files_of_directory directory
  |> Lwt_stream.iter_s begin fun entry ->
    if entry = Filename.current_dir_name || entry = Filename.parent_dir_name then Lwt.return ()
    else
      let path = Filename.concat directory entry in
      Lwt_unix.lstat path >>= fun {Lwt_unix.st_kind; _} ->
      match st_kind with
      | S_DIR -> delete_recursively path
      | _ -> Lwt_unix.unlink path
  end >>= fun () ->
  Lwt_unix.rmdir directory
let delrec p () = delete_recursively p >|= unit_

(* ---- family io2 (gen.py FAMILIES io2): Lwt_io temp files, hexdump, chars_to_file, bigstring
   reads/writes on channels, resize_buffer, flush_all, of_unix_fd; Lwt_unix pwrite_string, mkfifo,
   pipe_in/pipe_out, of_unix_file_descr, check_descriptor ---- *)
let ics : Lwt_io.input_channel option array = Array.make 2 None
let ocs : Lwt_io.output_channel option array = Array.make 2 None
let start2 i =
  start i >>= fun () ->
  Unix.mkdir "t" 0o755; Unix.chmod "t" 0o755;
  Array.fill ics 0 2 None; Array.fill ocs 0 2 None;
  Lwt.return_unit
let finish2 () =
  let c f = Lwt.catch f (fun _ -> Lwt.return_unit) in
  Lwt_list.iter_s (function Some ic -> c (fun () -> Lwt_io.close ic) | None -> Lwt.return_unit) (Array.to_list ics) >>= fun () ->
  Lwt_list.iter_s (function Some oc -> c (fun () -> Lwt_io.close oc) | None -> Lwt.return_unit) (Array.to_list ocs) >>= fun () ->
  finish ()
(* temp names: the 6 random hex digits after ANCHOR (dir separator + prefix) become XXXXXX *)
let mask anchor s =
  let is_hex c = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') in
  let b = Buffer.create (String.length s) and la = String.length anchor and n = String.length s in
  let i = ref 0 in
  while !i < n do
    if !i + la + 6 <= n && String.sub s !i la = anchor
       && (let ok = ref true in for k = 0 to 5 do if not (is_hex s.[!i + la + k]) then ok := false done; !ok) then begin
      Buffer.add_string b anchor; Buffer.add_string b "XXXXXX"; i := !i + la + 6
    end else begin Buffer.add_char b s.[!i]; incr i end
  done;
  Buffer.contents b
let masked anchor f () = Lwt.catch f (fun e -> Lwt.return (errs e)) >|= mask anchor
let bars s = String.map (fun c -> if c = '\n' then '|' else c) s
let slurp p = Lwt_io.with_file ~mode:Lwt_io.input p Lwt_io.read
let withic k f = match ics.(k) with None -> Lwt.return "noic" | Some ic -> f ic
let withoc k f = match ocs.(k) with None -> Lwt.return "nooc" | Some oc -> f oc
let bbshow () = hexs (Lwt_bytes.to_string !bbuf)

let hd s () = Lwt_io.with_file ~mode:Lwt_io.output "hd" (fun oc -> Lwt_io.hexdump oc s) >>= fun () -> slurp "hd" >|= bars
let hdoc k s () = withoc k (fun oc -> Lwt_io.hexdump oc s >|= unit_)
let hds p () = Lwt_io.with_file ~mode:Lwt_io.output "hd" (fun oc -> Lwt_io.hexdump_stream oc (Lwt_io.chars_of_file p)) >>= fun () -> slurp "hd" >|= bars
let ctf p s () = Lwt_io.chars_to_file p (Lwt_stream.of_string s) >>= fun () -> slurp p >|= hexs
let fperm p = try Printf.sprintf "%o" (Unix.stat p).Unix.st_perm with Unix.Unix_error _ -> "gone"
let otf ?temp_dir ?prefix ?suffix ?flags ?perm s () =
  Lwt_io.open_temp_file ?temp_dir ?prefix ?suffix ?flags ?perm () >>= fun (name, oc) ->
  Lwt_io.write oc s >>= fun () -> Lwt_io.close oc >>= fun () ->
  let pm = fperm name in
  slurp name >|= fun c -> Printf.sprintf "%s perm=%s %s" (strip name) pm (hexs c)
let wtf ?temp_dir ?prefix ?suffix mode s () =
  let nm = ref "" in
  Lwt.catch (fun () ->
    Lwt_io.with_temp_file ?temp_dir ?prefix ?suffix (fun (name, oc) ->
      nm := name;
      Lwt_io.write oc s >>= fun () ->
      match mode with
      | 0 -> Lwt.return "r"
      | 1 -> Lwt.fail (Failure "f")
      | 2 -> Lwt_unix.unlink name >|= fun () -> "unlinked"
      | 3 -> Lwt_io.close oc >|= fun () -> "closed"
      | _ -> Lwt_io.flush oc >>= fun () -> slurp name >|= hexs))
    (fun e -> Lwt.return (errs e)) >|= fun r ->
  Printf.sprintf "%s %s exists=%b" r (strip !nm) (!nm <> "" && Sys.file_exists !nm)
let ctd ?perm ?parent ?prefix ?suffix () =
  Lwt_io.create_temp_dir ?perm ?parent ?prefix ?suffix () >>= fun name ->
  let pm = fperm name in
  (if parent = None then Lwt_unix.rmdir name else Lwt.return_unit) >|= fun () ->
  Printf.sprintf "%s perm=%s" (strip name) pm
let icopen k ?buffer_size p () = (match buffer_size with None -> Lwt_io.open_file ~mode:Lwt_io.input p | Some n -> Lwt_io.open_file ~buffer:(Lwt_bytes.create n) ~mode:Lwt_io.input p) >|= fun ic -> ics.(k) <- Some ic; "ok"
let ocopen k ?flags p () = Lwt_io.open_file ?flags ~mode:Lwt_io.output p >|= fun oc -> ocs.(k) <- Some oc; "ok"
let icfd k i () = withfd i (fun fd -> Lwt_unix.check_descriptor fd; ics.(k) <- Some (Lwt_io.of_unix_fd ~mode:Lwt_io.input (Unix.dup (Lwt_unix.unix_file_descr fd))); Lwt.return "ok")
let ocfd k i () = withfd i (fun fd -> Lwt_unix.check_descriptor fd; ocs.(k) <- Some (Lwt_io.of_unix_fd ~mode:Lwt_io.output (Unix.dup (Lwt_unix.unix_file_descr fd))); Lwt.return "ok")
let rib k ofs len () = withic k (fun ic -> Lwt_io.read_into_bigstring ic !bbuf ofs len >|= fun n -> Printf.sprintf "%d %s" n (bbshow ()))
let riexb k ofs len () = withic k (fun ic -> Lwt_io.read_into_exactly_bigstring ic !bbuf ofs len >|= fun () -> bbshow ())
let wfb k ofs len () = withoc k (fun oc -> Lwt_io.write_from_bigstring oc (Lwt_bytes.of_string "0123456789ABCDEF") ofs len >|= string_of_int)
let wfexb k ofs len () = withoc k (fun oc -> Lwt_io.write_from_exactly_bigstring oc (Lwt_bytes.of_string "0123456789ABCDEF") ofs len >|= unit_)
let icread k () = withic k (fun ic -> Lwt_io.read ~count:5 ic >|= hexs)
let ocflush k () = withoc k (fun oc -> Lwt_io.flush oc >|= unit_)
let flush_all () = Lwt_io.flush_all () >|= unit_
let icresize k n () = withic k (fun ic -> Lwt_io.resize_buffer ic n >|= fun () -> string_of_int (Lwt_io.buffer_size ic))
let ocresize k n () = withoc k (fun oc -> Lwt_io.resize_buffer oc n >|= fun () -> string_of_int (Lwt_io.buffer_size oc))
let icclose k () = withic k (fun ic -> Lwt_io.close ic >|= unit_)
let occlose k () = withoc k (fun oc -> Lwt_io.close oc >|= unit_)
let pwstr i fo s ofs len () = withfd i (fun fd -> Lwt_unix.pwrite_string fd s ~file_offset:fo ofs len >|= string_of_int)
let mkfifo p perm () = Lwt_unix.mkfifo p perm >>= fun () -> Lwt_unix.lstat p >|= pstat
let pipein i s () =
  let r, w = Lwt_unix.pipe_in () in
  ignore (Unix.write_substring w s 0 (String.length s)); Unix.close w;
  fds.(i) <- Some r; Lwt.return "ok"
let pipeout s () =
  let r, w = Lwt_unix.pipe_out () in
  Lwt_unix.write_string w s 0 (String.length s) >>= fun n ->
  Lwt_unix.close w >|= fun () ->
  let b = Bytes.create 64 in
  let m = Unix.read r b 0 64 in
  let m2 = Unix.read r b m (64 - m) in
  Unix.close r;
  Printf.sprintf "%d %d %d %s" n m m2 (hex (Bytes.sub b 0 m))
let ofufd i j blocking () = withfd i (fun fd ->
  Lwt_unix.check_descriptor fd;
  let fd2 = Lwt_unix.of_unix_file_descr ?blocking (Unix.dup (Lwt_unix.unix_file_descr fd)) in
  fds.(j) <- Some fd2; Lwt_unix.blocking fd2 >|= string_of_bool)
let checkd i () = withfd i (fun fd -> Lwt_unix.check_descriptor fd; Lwt.return "ok")
