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
