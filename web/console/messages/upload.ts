import type { Catalogue } from '../i18n';

const en = {
  title: 'Upload an exhibit',
  file: 'File',
  exhibitNumber: 'Exhibit number',
  description: 'Description',
  source: 'Source',
  sourceHint: 'Where the data came from (device, account, seizure record).',
  acquiredAt: 'Acquired at',
  acquiredBy: 'Acquired by',
  acquisitionTool: 'Acquisition tool',
  location: 'Location',
  sealNumber: 'Seal number',
  hashing: 'Computing SHA-256 in this browser',
  sending: 'Sending',
  held: 'Held by the service',
  start: 'Upload',
  unfinished:
    'The upload of {exhibit} ({file}) did not finish. Choose the same file with the same exhibit number to continue where it stopped.',
};

export const uploadMessages: Catalogue<keyof typeof en> = {
  en,
  az: {
    title: 'Sübut yüklə',
    file: 'Fayl',
    exhibitNumber: 'Sübutun nömrəsi',
    description: 'Təsvir',
    source: 'Mənbə',
    sourceHint: 'Məlumatın haradan gəldiyi (qurğu, hesab, götürmə protokolu).',
    acquiredAt: 'Götürülmə vaxtı',
    acquiredBy: 'Götürən',
    acquisitionTool: 'Götürmə aləti',
    location: 'Yer',
    sealNumber: 'Möhür nömrəsi',
    hashing: 'SHA-256 bu brauzerdə hesablanır',
    sending: 'Göndərilir',
    held: 'Xidmətdə olan',
    start: 'Yüklə',
    unfinished:
      '{exhibit} ({file}) yüklənməsi bitmədi. Dayandığı yerdən davam etmək üçün eyni faylı eyni sübut nömrəsi ilə seçin.',
  },
  ru: {
    title: 'Загрузить вещественное доказательство',
    file: 'Файл',
    exhibitNumber: 'Номер вещдока',
    description: 'Описание',
    source: 'Источник',
    sourceHint: 'Откуда получены данные (устройство, учётная запись, протокол изъятия).',
    acquiredAt: 'Время получения',
    acquiredBy: 'Кем получено',
    acquisitionTool: 'Средство получения',
    location: 'Место',
    sealNumber: 'Номер пломбы',
    hashing: 'Вычисление SHA-256 в этом браузере',
    sending: 'Отправка',
    held: 'Получено службой',
    start: 'Загрузить',
    unfinished:
      'Загрузка {exhibit} ({file}) не завершена. Выберите тот же файл с тем же номером вещдока, чтобы продолжить с места остановки.',
  },
};
