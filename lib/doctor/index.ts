export {
  ACT_POLICIES,
  type DoctorCheck,
  type DoctorInput,
  type DoctorReport,
  READ_POLICIES,
  runDoctor,
  shortKey,
} from "./checks";
export { formatDoctorReport } from "./format";
export { DOCTOR_DEFAULT_MODEL, ResponseDates } from "./inputs";
